"""How the command line lays out what it prints and writes: no line longer than ``WIDTH``
characters, so that a report reads in a terminal and in a text editor without wrapping.

* a long command is wrapped so that a shell reads it back (a backslash ends each line);
* a long sentence is wrapped at spaces;
* a confusion matrix too wide for its class names labels its columns by class number, and one
  still too wide (many classes) is printed in blocks of columns.
"""
import shlex
import textwrap

WIDTH = 100


def command_lines(words, prefix="", width=WIDTH):
    """The command ``words`` (a list) as shell text after ``prefix``, in lines of at most
    ``width`` characters that a shell reads back as the same command: each line but the last
    ends with a backslash (``\\`` + newline is removed by the shell). A line breaks between
    words, continuing with an indent; a word too long for a line (a deep path) is cut, its next
    part at the start of the next line, with no indent.
    """
    lines, line = [], prefix
    for word in (shlex.quote(str(w)) for w in words):
        candidate = (line + " " if line.strip() else line) + word
        if len(candidate) + 2 > width and line.strip():      # the next line, indented
            lines.append(line + " \\")
            candidate = "    " + word
        if len(candidate) + 2 > width and "'" not in word:   # cut inside the word (not quoted)
            start = len(candidate) - len(word)
            lines.append(candidate[:start] + word[:width - 1 - start] + "\\")
            word = word[width - 1 - start:]
            while len(word) + 2 > width:
                lines.append(word[:width - 1] + "\\")
                word = word[width - 1:]
            candidate = word
        line = candidate
    lines.append(line)
    return lines


def sentence_lines(text, width=WIDTH, indent="  "):
    """A sentence wrapped at spaces into lines of at most ``width`` characters (the lines after
    the first indented by ``indent``)."""
    return textwrap.wrap(text, width=width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [""]


def _shortened(name, limit):
    return name if len(name) <= limit else name[:limit - 3] + "..."


def confusion_lines(counts, names, width=WIDTH):
    """The confusion matrix ``counts`` (rows: true class, columns: predicted class) as lines of
    at most ``width`` characters, every cell an integer count.

    Columns are headed by the class names when they fit; otherwise by the class numbers, with
    each row labelled ``number name``. When even that is too wide (many classes), the columns
    come in blocks, each under its own header. Names longer than half the width are shortened.
    """
    names = [_shortened(str(n), width // 2) for n in names]
    cells = [[str(int(c)) for c in row] for row in counts]
    widest_count = max((len(c) for row in cells for c in row), default=1)
    heads, labels = names, [n.rjust(max(len(n) for n in names)) for n in names]
    if len(labels[0]) + sum(2 + max(len(h), widest_count) for h in heads) > width:
        heads = [str(i) for i in range(len(names))]
        labels = [f"{i} {n}" for i, n in enumerate(names)]
        labels = [n.ljust(max(len(n) for n in labels)) for n in labels]
    row_width = len(labels[0])
    col_widths = [max(len(h), widest_count) for h in heads]
    blocks, block, used = [], [], row_width
    for j, w in enumerate(col_widths):
        if block and used + 2 + w > width:
            blocks.append(block)
            block, used = [], row_width
        block.append(j)
        used += 2 + w
    blocks.append(block)
    lines = []
    if heads is not names:
        lines.append("(columns: the predicted classes by number)")
    for block in blocks:
        if len(blocks) > 1:
            lines.append(f"predicted classes {heads[block[0]]} to {heads[block[-1]]}:")
        lines.append(" " * row_width + "".join("  " + heads[j].rjust(col_widths[j]) for j in block))
        for label, row in zip(labels, cells):
            lines.append(label + "".join("  " + row[j].rjust(col_widths[j]) for j in block))
    return lines
