"""The Attention page's endpoints (``studio/attention.py``) on the run folder of a real (tiny)
``scratchnn train --model gpt``: the maps equal attention computed by hand from the weights (rows
sum to 1, nothing above the diagonal), the next-token probabilities equal softmax(logits / T) with
the top-k / top-p masks (written out here, and as ``generation``'s samplers compute them), sampling
equals ``generate`` with the same settings and seed, and bad prompts or settings are 400s that
name the argument with what was expected and what was received."""
import math
import urllib.parse

import numpy as np
import pytest

from scratchnn.cli import main
from scratchnn.generation import generate, make_sampler
from scratchnn.layers import Dense
from scratchnn.models import GPT, Sequential, load_model
from scratchnn.studio import ModelSource, Studio
from scratchnn.studio.attention import set_vocabulary
from scratchnn.utils import set_random_seed

from .client import get

BLOCK = 16
TINY_GPT = ("--model", "gpt", "--layers", "2", "--heads", "2", "--embed", "16", "--block-size", str(BLOCK),
            "--batch-size", "4", "--epochs", "2", "--steps-per-epoch", "3", "--seed", "0")


def train_tiny_gpt(out, monkeypatch):
    """A run folder of a real ``scratchnn train --model gpt``: 2 layers of 2 heads, 2 epochs of 3
    steps on tiny Shakespeare (it ships with scratchnn); numbers need not be good."""
    monkeypatch.setenv("SCRATCHNN_HOME", str(out / "home"))
    assert main(["train", "--out", str(out), "--name", "tiny-gpt", "--quiet", *TINY_GPT]) == 0
    return out / "tiny-gpt"


@pytest.fixture(scope="module")
def gpt_run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        return train_tiny_gpt(tmp_path_factory.mktemp("attention"), mp)


@pytest.fixture
def gpt_studio(gpt_run):
    s = Studio(runs=[str(gpt_run)])
    s.start()
    yield s
    s.stop()


def _query(**args):
    return urllib.parse.urlencode({k: v for k, v in args.items() if v is not None})


def _vocabulary(studio):
    status, body = get(studio, "/api/attention/models")
    assert status == 200
    return body["models"][0]["vocabulary"]


def _layer_norm(x, layer):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + layer.epsilon) * layer.gamma.data + layer.beta.data


def manual_scores(model, ids):
    """Each block's causal self-attention weights (N, T, T), by hand from the weights: the block's
    input is computed by running the blocks before it; its attention input is that input's layer norm."""
    t = len(ids)
    x = model.token_embedding.embeddings.data[ids] + model.position_embedding.position_embeddings.data[:t]
    out = []
    for block in model.transformer_layers:
        parts = {layer.name: layer for layer in block.walk()}
        mha, norm = parts["self_attention"], parts["self_attention_layer_norm"]
        h = _layer_norm(x.astype(np.float64), norm)
        q = np.einsum("td,dnh->nth", h, mha.query_kernel.data) + mha.query_bias.data[:, None]
        k = np.einsum("td,dnh->nth", h, mha.key_kernel.data) + mha.key_bias.data[:, None]
        s = q @ k.transpose(0, 2, 1) / math.sqrt(mha.key_dim)
        s = np.where(np.tril(np.ones((t, t), bool)), s, -np.inf)
        p = np.exp(s - s.max(-1, keepdims=True))
        out.append(p / p.sum(-1, keepdims=True))
        x = block(x[None]).data[0]                     # the next block's input
    return out


def test_the_gpt_run_folder_is_offered_with_its_layers_heads_context_and_vocabulary(gpt_studio, gpt_run):
    status, body = get(gpt_studio, "/api/attention/models")
    assert status == 200
    (entry,) = body["models"]
    model = load_model(gpt_run / "model.scratchnn")
    assert entry["source"] == "run:tiny-gpt" and entry["class"] == "GPT"
    assert entry["layers"] == [{"name": f"transformer_layer_{i}/self_attention", "heads": 2}
                               for i in range(2)]
    assert entry["context"] == BLOCK and entry["vocabulary_size"] == model.vocabulary_size
    assert len(entry["vocabulary"]) == model.vocabulary_size and "R" in entry["vocabulary"]


def test_maps_are_causal_rows_summing_to_one_equal_to_attention_by_hand(gpt_studio, gpt_run):
    prompt = "ROMEO:\nWhat, ho!"
    status, body = get(gpt_studio, "/api/attention/maps?" + _query(prompt=prompt))
    assert status == 200, body
    assert body["tokens"] == list(prompt)
    vocabulary = _vocabulary(gpt_studio)
    ids = [vocabulary.index(c) for c in prompt]
    assert body["ids"] == ids
    expected = manual_scores(load_model(gpt_run / "model.scratchnn"), np.array(ids))
    assert [layer["name"] for layer in body["layers"]] == [f"transformer_layer_{i}/self_attention"
                                                           for i in range(2)]
    for layer, want in zip(body["layers"], expected):
        p = np.array(layer["scores"])
        assert p.shape == (2, len(prompt), len(prompt)) and layer["heads"] == 2
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=2e-5)           # rounded to 6 decimals
        assert not np.triu(p, 1).any()                                    # never the future
        np.testing.assert_allclose(p, want, atol=1e-5)


def test_maps_of_a_model_with_sharp_attention_equal_attention_by_hand():
    """Large weights (initializer_range 0.5) make each head's weights far from uniform, so that a
    map which merely looked causal and normalized could not pass."""
    set_random_seed(3)
    model = GPT(vocabulary_size=7, sequence_length=8, num_layers=2, num_heads=2, hidden_dim=8,
                initializer_range=0.5)
    model.build((None, 8))
    ids = [3, 1, 4, 1, 5, 2, 6]
    expected = manual_scores(model, np.array(ids))
    uniform = np.tril(np.ones((7, 7))) / np.arange(1, 8)[:, None]
    assert all(np.abs(want - uniform).max() > 0.2 for want in expected)
    with Studio() as studio:
        studio.add_source("sharp", ModelSource(model))
        query = _query(source="sharp", ids=" ".join(map(str, ids)))
        status, body = get(studio, "/api/attention/maps?" + query)
    assert status == 200, body
    for layer, want in zip(body["layers"], expected, strict=True):
        np.testing.assert_allclose(np.array(layer["scores"]), want, atol=1e-5)


def _by_hand(logits, temperature, top_k, top_p):
    """softmax(logits / T) restricted to the top-k, then to the nucleus of mass top_p."""
    z = logits.astype(np.float64) / temperature
    keep = np.ones(z.shape, bool)
    if top_k is not None:
        keep[:] = False
        keep[np.argsort(-z, kind="stable")[:top_k]] = True
    if top_p is not None:
        masked = np.where(keep, z, -np.inf)
        p = np.exp(masked - masked.max())
        p /= p.sum()
        order = np.argsort(-p, kind="stable")
        mass_before = np.concatenate([[0.0], np.cumsum(p[order])[:-1]])
        nucleus = np.zeros(z.shape, bool)
        nucleus[order[mass_before < top_p]] = True
        keep &= nucleus
    e = np.where(keep, np.exp(z - z[keep].max()), 0.0)
    return e / e.sum()


@pytest.mark.parametrize("temperature, top_k, top_p", [(1.0, None, None), (0.7, 5, None), (1.5, None, 0.8),
                                                        (0.9, 10, 0.5), (2.0, 3, 0.99)])
def test_next_token_probabilities_are_softmax_at_the_temperature_within_top_k_top_p(
        gpt_studio, gpt_run, temperature, top_k, top_p):
    prompt = "KING RICHARD:"
    status, body = get(gpt_studio, "/api/attention/next?" + _query(prompt=prompt, temperature=temperature,
                                                                   top_k=top_k, top_p=top_p, count=100))
    assert status == 200, body
    vocabulary = _vocabulary(gpt_studio)
    model = load_model(gpt_run / "model.scratchnn")
    logits = model(np.array([[vocabulary.index(c) for c in prompt]])).data[0, -1]
    want = _by_hand(logits, temperature, top_k, top_p)
    assert np.allclose(want, make_sampler(temperature, top_k, top_p).probabilities(logits), atol=1e-12)
    got = np.zeros(len(vocabulary))
    for item in body["next"]:
        assert item["token"] == vocabulary[item["id"]]
        got[item["id"]] = item["probability"]
    assert len(body["next"]) == len(vocabulary)                          # count=100 > V: every token
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert body["kept"] == np.count_nonzero(want)
    if top_k is not None:
        assert body["kept"] <= top_k
    probabilities = [item["probability"] for item in body["next"]]
    assert probabilities == sorted(probabilities, reverse=True)


def test_temperature_zero_puts_all_the_mass_on_the_largest_logit(gpt_studio, gpt_run):
    status, body = get(gpt_studio, "/api/attention/next?" + _query(prompt="Thou", temperature=0))
    vocabulary = _vocabulary(gpt_studio)
    logits = load_model(gpt_run / "model.scratchnn")(np.array([[vocabulary.index(c) for c in "Thou"]]))
    assert status == 200 and body["kept"] == 1 and len(body["next"]) == 20
    assert body["next"][0] == {"id": int(np.argmax(logits.data[0, -1])), "probability": 1.0,
                               "token": vocabulary[int(np.argmax(logits.data[0, -1]))],
                               "logit": pytest.approx(float(logits.data[0, -1].max()))}


def test_sampling_extends_the_prompt_as_generate_does_and_repeats_with_a_seed(gpt_studio, gpt_run):
    vocabulary = _vocabulary(gpt_studio)
    model = load_model(gpt_run / "model.scratchnn")
    prompt = "ROMEO:\nWhat say"                       # 15 tokens: the 25 new ones go past the context
    args = dict(prompt=prompt, tokens=25, temperature=0.8, top_k=10, top_p=0.95, seed=5)
    status, body = get(gpt_studio, "/api/attention/sample?" + _query(**args))
    assert status == 200, body
    ids = generate(model, np.array([vocabulary.index(c) for c in prompt]), 25, temperature=0.8, top_k=10,
                   top_p=0.95, seed=5, block_size=BLOCK)
    assert body["ids"] == ids.tolist() and len(body["ids"]) == len(prompt) + 25
    assert body["text"] == "".join(vocabulary[i] for i in ids) and body["text"].startswith(prompt)
    assert body["new"] == body["text"][len(prompt):]
    again = get(gpt_studio, "/api/attention/sample?" + _query(**args))[1]
    other = get(gpt_studio, "/api/attention/sample?" + _query(**{**args, "seed": 6}))[1]
    assert again["text"] == body["text"] and other["text"] != body["text"]


@pytest.mark.parametrize("args, words", [
    ({"prompt": "caf\u00e9 \u00e0"}, ["'prompt'", "expected characters of the model's vocabulary",
                                      "received 2 unknown", "'\u00e0', '\u00e9'"]),
    ({"prompt": "x" * (BLOCK + 1)}, ["'prompt'", f"expected at most {BLOCK} tokens",
                                     f"received {BLOCK + 1}"]),
    ({"prompt": ""}, ["'prompt'", "expected at least one character", "received an empty prompt"]),
    ({}, ["'prompt'", "missing"]),
    ({"prompt": "a", "temperature": "-1"}, ["'temperature'", "expected a finite number >= 0",
                                            "received '-1'"]),
    ({"prompt": "a", "temperature": "hot"}, ["'temperature'", "received 'hot'"]),
    ({"prompt": "a", "top_k": "0"}, ["'top_k'", "expected an integer >= 1", "received '0'"]),
    ({"prompt": "a", "top_p": "1.5"}, ["'top_p'", "expected a number in (0, 1]", "received '1.5'"]),
    ({"prompt": "a", "source": "nope"}, ["'source'", "no model source 'nope'", "run:tiny-gpt"]),
])
@pytest.mark.parametrize("endpoint", ["maps", "next", "sample"])
def test_bad_arguments_are_400s_naming_the_argument(gpt_studio, endpoint, args, words):
    if endpoint == "maps" and any(k in args for k in ("temperature", "top_k", "top_p")):
        return                                                  # the maps take no sampling settings
    status, body = get(gpt_studio, f"/api/attention/{endpoint}?" + _query(**args))
    assert status == (404 if "source" in args else 400), body
    for word in words:
        assert word in body["error"], (word, body["error"])


@pytest.mark.parametrize("args, words", [({"tokens": "0"}, ["'tokens'", "1..500", "received 0"]),
                                         ({"tokens": "9999"}, ["'tokens'", "received 9999"]),
                                         ({"seed": "-3"}, ["'seed'", "received -3"])])
def test_bad_sampling_lengths_and_seeds_are_refused(gpt_studio, args, words):
    status, body = get(gpt_studio, "/api/attention/sample?" + _query(prompt="a", **args))
    assert status == 400 and all(word in body["error"] for word in words), body


def test_a_model_without_attention_is_left_out_with_its_reason(gpt_run, tmp_path):
    other = tmp_path / "iris"
    other.mkdir()
    set_random_seed(0)
    model = Sequential([Dense(3)])
    model.build((None, 4))
    model.save(other / "model.scratchnn")
    with Studio(runs=[str(gpt_run), str(other)]) as studio:
        body = get(studio, "/api/attention/models")[1]
        assert [m["source"] for m in body["models"]] == ["run:tiny-gpt"]
        assert body["skipped"] == [{"source": "run:iris", "reason": "argument 'source': expected a model "
                                    "with MultiHeadAttention layers, received 'run:iris', a Sequential "
                                    "without any"}]
        status, error = get(studio, "/api/attention/maps?" + _query(source="run:iris", prompt="a"))
        assert status == 400 and "MultiHeadAttention" in error["error"]
        status, body = get(studio, "/api/attention/maps?" + _query(prompt="ab"))    # default: the GPT
        assert status == 200 and body["source"] == "run:tiny-gpt"


def test_a_model_without_vocabulary_takes_token_ids_and_set_vocabulary_gives_it_text():
    set_random_seed(1)
    model = GPT(vocabulary_size=5, sequence_length=6, num_layers=1, num_heads=2, hidden_dim=8)
    model.build((None, 6))
    with Studio() as studio:
        studio.add_source("mine", ModelSource(model, "in memory"))
        (entry,) = get(studio, "/api/attention/models")[1]["models"]
        assert entry["vocabulary"] is None and entry["context"] == 6 and entry["vocabulary_size"] == 5
        status, body = get(studio, "/api/attention/maps?" + _query(source="mine", ids="0 4,2"))
        assert status == 200 and body["tokens"] == ["0", "4", "2"]
        status, body = get(studio, "/api/attention/maps?" + _query(source="mine", ids="0 5"))
        assert status == 400 and all(w in body["error"] for w in ("'ids'", "0..4", "[5]"))
        status, body = get(studio, "/api/attention/maps?" + _query(source="mine", ids="1 2 3 4 0 1 2"))
        assert status == 400 and "at most 6 tokens" in body["error"] and "received 7" in body["error"]
        set_vocabulary(studio, "mine", "abcde")
        query = _query(source="mine", prompt="abc", tokens=4, seed=1)
        status, body = get(studio, "/api/attention/sample?" + query)
        assert status == 200 and body["text"] == "".join("abcde"[i] for i in generate(
            model, np.array([0, 1, 2]), 4, seed=1, block_size=6))
    with pytest.raises(ValueError, match="distinct single characters"):
        set_vocabulary(studio, "mine", "aab")
