#!/usr/bin/env python3
"""Regenerates src/test/resources/transformers/: what transformers' save_pretrained writes for a tiny
LlavaForConditionalGeneration and LlavaNextForConditionalGeneration with the shapes of the Java
test models (LmSpec.tinyLlama, ClipSpec.tiny), their LlavaProcessor / LlavaNextProcessor and a LLaMA
tokenizer made from llama.cpp's models/ggml-vocab-llama-spm.gguf plus <image> and <pad>.

Run it twice with the same WORK folder, first under transformers 4.57.x, then under 5.x (both need
torch, CPU is enough, sentencepiece and protobuf):

    python3 src/test/python/make_transformers_fixtures.py LLAMA_CPP_TREE WORK   # transformers 4.57.6
    python3 src/test/python/make_transformers_fixtures.py LLAMA_CPP_TREE WORK   # transformers 5.18.0

The 5.x run loads the tokenizer the 4.x run saved, as a user of transformers 5 loads a hub
checkpoint made with 4.x (llava-hf/*), and builds the model from its config, as in the report of
issue 16. Each fixture folder <kind>-<version>/ holds the small files verbatim, the safetensors
header without data offsets (model.safetensors.header.json; with 5.x also the header of
save_original_format=False),
files.txt (every file written) and tokenizer.json with model.vocab and model.merges cut to their
first entries; tokenizer.digest.json pins the full lists (count and SHA-256 of "piece<TAB>id" and
"left right" lines). Weights are not kept: their values do not matter to the layout. The 5.x run also
saves transformers 5's own LlamaTokenizer made from the same tokenizer.model (llama_tokenizer-<version>/:
Metaspace pre-tokenizer, merges ordered by id), the other tokenizer.json form a checkpoint may carry.
"""
import hashlib
import json
import os
import shutil
import struct
import sys

import torch
import transformers
from sentencepiece import sentencepiece_model_pb2
from transformers import (AutoTokenizer, CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig,
                          LlavaForConditionalGeneration, LlavaNextConfig, LlavaNextForConditionalGeneration,
                          LlavaNextProcessor, LlavaProcessor)

sys.dont_write_bytecode = True
ROOT = os.path.join(os.path.dirname(__file__), "..", "resources", "transformers")
TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
KEEP = 6  # vocab and merges entries kept in the tokenizer.json skeleton


def spm_model(tree, out):
    """tokenizer.model with the pieces, scores and types of ggml-vocab-llama-spm.gguf."""
    sys.path.insert(0, os.path.join(tree, "gguf-py"))
    import gguf
    r = gguf.GGUFReader(os.path.join(tree, "models", "ggml-vocab-llama-spm.gguf"))
    toks, scores, types = (r.fields["tokenizer.ggml." + k] for k in ("tokens", "scores", "token_type"))
    m = sentencepiece_model_pb2.ModelProto()
    for i in range(len(toks.data)):
        p = m.pieces.add()
        p.piece = bytes(toks.parts[toks.data[i]]).decode("utf-8")
        p.score = float(scores.parts[scores.data[i]][0])
        p.type = int(types.parts[types.data[i]][0])
    m.trainer_spec.model_type = 2  # BPE
    m.trainer_spec.byte_fallback = True
    m.trainer_spec.unk_id, m.trainer_spec.bos_id, m.trainer_spec.eos_id, m.trainer_spec.pad_id = 0, 1, 2, -1
    m.normalizer_spec.name = "identity"
    m.normalizer_spec.add_dummy_prefix = True
    m.normalizer_spec.remove_extra_whitespaces = False
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.model"), "wb") as f:
        f.write(m.SerializeToString())


def model(kind):
    torch.manual_seed(0)
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
                              image_size=336, patch_size=14)
    text = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=4, max_position_embeddings=4096, rms_norm_eps=1e-5, vocab_size=32064)
    if kind == "llava":
        return LlavaForConditionalGeneration(LlavaConfig(vision_config=vision, text_config=text,
                                                         image_token_index=32000, pad_token_id=32001))
    pins = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]  # ClipSpec.gridPinpoints()
    return LlavaNextForConditionalGeneration(LlavaNextConfig(vision_config=vision, text_config=text,
                                                             image_grid_pinpoints=pins, image_token_index=32000,
                                                             pad_token_id=32001))


def tokenizer(version4, tree, work):
    if version4:
        spm = os.path.join(work, "spm")
        spm_model(tree, spm)
        tok = transformers.LlamaTokenizerFast.from_pretrained(spm)
        tok.add_tokens(["<image>"], special_tokens=True)
        tok.add_special_tokens({"pad_token": "<pad>"})
        return tok
    return AutoTokenizer.from_pretrained(os.path.join(work, "llava-" + previous(work)))


def previous(work):
    with open(os.path.join(work, "VERSION4")) as f:
        return f.read().strip()


def save(kind, version, tree, work):
    version4 = version.startswith("4.")
    out = os.path.join(work, kind + "-" + version)
    shutil.rmtree(out, ignore_errors=True)
    m = model(kind)
    m.save_pretrained(out)
    image_processor = CLIPImageProcessor(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336},
                                         image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    processor = (LlavaProcessor if kind == "llava" else LlavaNextProcessor)(
        image_processor=image_processor, tokenizer=tokenizer(version4, tree, work), patch_size=14,
        vision_feature_select_strategy="default", chat_template=TEMPLATE)
    processor.save_pretrained(out)
    native = None
    if not version4:
        native = out + "-native"
        shutil.rmtree(native, ignore_errors=True)
        m.save_pretrained(native, save_original_format=False)
    return out, native


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))


def dump_header(path, h):
    """The safetensors header without data_offsets, one tensor per line (the offsets depend only on the order)."""
    lines = ['  "__metadata__": ' + json.dumps(h.pop("__metadata__", {}), sort_keys=True)]
    for name in sorted(h):
        lines.append("  " + json.dumps(name) + ": " + json.dumps({"dtype": h[name]["dtype"], "shape": h[name]["shape"]}))
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def dump(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def sha(lines):
    return hashlib.sha256("".join(line + "\n" for line in lines).encode("utf-8")).hexdigest()


def fixture(src, native, name):
    dst = os.path.join(ROOT, name)
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    files = sorted(os.listdir(src))
    with open(os.path.join(dst, "files.txt"), "w") as f:
        f.write("".join(x + "\n" for x in files))
    for x in files:
        if x.endswith(".json") and x != "tokenizer.json" or x == "chat_template.jinja":
            shutil.copy(os.path.join(src, x), os.path.join(dst, x))
    if "model.safetensors" in files:
        dump_header(os.path.join(dst, "model.safetensors.header.json"), header(os.path.join(src, "model.safetensors")))
    if native:
        dump_header(os.path.join(dst, "model.safetensors.header.save_original_format_false.json"),
                    header(os.path.join(native, "model.safetensors")))
    with open(os.path.join(src, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    vocab = sorted(tj["model"]["vocab"].items(), key=lambda kv: kv[1])
    merges = [" ".join(m) if isinstance(m, list) else m for m in tj["model"]["merges"]]
    dump(os.path.join(dst, "tokenizer.digest.json"), {
        "vocab": len(vocab), "vocab_sha256": sha(p + "\t" + str(i) for p, i in vocab),
        "merges": len(merges), "merges_sha256": sha(merges)})
    tj["model"]["vocab"] = dict(vocab[:KEEP])
    tj["model"]["merges"] = tj["model"]["merges"][:KEEP]
    dump(os.path.join(dst, "tokenizer.json"), tj)


def main():
    tree, work = sys.argv[1], sys.argv[2]
    version = transformers.__version__
    os.makedirs(work, exist_ok=True)
    if version.startswith("4."):
        with open(os.path.join(work, "VERSION4"), "w") as f:
            f.write(version)
    for kind in ("llava", "llava_next"):
        src, native = save(kind, version, tree, work)
        fixture(src, native, kind + "-" + version)
    if not version.startswith("4."):
        # transformers 5's own LlamaTokenizer made from tokenizer.model (Metaspace pre-tokenizer, merges by id)
        tok = transformers.LlamaTokenizer.from_pretrained(os.path.join(work, "spm"))
        tok.add_tokens(["<image>"], special_tokens=True)
        tok.add_special_tokens({"pad_token": "<pad>"})
        out = os.path.join(work, "llama_tokenizer-" + version)
        shutil.rmtree(out, ignore_errors=True)
        tok.save_pretrained(out)
        fixture(out, None, "llama_tokenizer-" + version)
    print("transformers", version, "->", os.path.abspath(ROOT))


if __name__ == "__main__":
    main()
