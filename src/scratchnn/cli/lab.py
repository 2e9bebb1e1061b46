"""``scratchnn lab``: list the learning-lab experiments, or run one and write its figures and report."""
import os

from .errors import CLIError, check_out_folder, did_you_mean


def run(args):
    from .. import lab
    if args.name is None:
        width = max(len(n) for n in lab.EXPERIMENTS)
        print("Experiments (scratchnn lab NAME|all [--out DIR] [--quick]):")
        for exp in lab.EXPERIMENTS.values():
            print(f"  {exp.name:<{width}}  {exp.summary}")
        return 0
    if args.name.lower() == "all":
        names = list(lab.EXPERIMENTS)
    else:
        key = args.name.replace("_", "-").lower()
        if key not in lab.EXPERIMENTS:
            hint = did_you_mean(key, lab.EXPERIMENTS)
            raise CLIError(f"unknown experiment {args.name!r}{hint}; choose one of: "
                           f"{', '.join(lab.EXPERIMENTS)} (or all)", usage=True)
        names = [key]
    if args.out is not None:
        check_out_folder(args.out)          # before an experiment runs, not after
    for name in names:
        out = args.out if args.out is not None and len(names) == 1 else os.path.join(
            args.out or os.path.join("runs", "lab"), name)
        result = lab.run(name, out=out, quick=args.quick, seed=args.seed, verbose=not args.quiet)
        if not args.quiet:
            print(f"\n{name}: {len(result.figures)} figures and report.txt written to {out}/ "
                  f"({result.seconds:.1f} s)")
    return 0
