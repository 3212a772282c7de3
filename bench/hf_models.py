"""Public transformer architectures built with `transformers` from small configs, random weights, no downloads.

Each factory returns (module in eval mode, example inputs) for `porter convert bench/hf_models.py:NAME`.
Sizes are tiny (hidden 32, 2 layers) so the table runs on a laptop CPU; the architectures are the real
ones: attention variants (GQA, RoPE), MoE routing, convolutional stems, a speech feature encoder.
"""

from __future__ import annotations

import os

import torch

VOCAB = 100
# Depth of every architecture's stack (bench/structure_table.py converts at 2, 4 and 8).
LAYERS = int(os.environ.get("PORTER_HF_LAYERS", "2"))


def _ids(batch: int = 2, seq: int = 8) -> tuple:
    return (torch.randint(0, VOCAB, (batch, seq), generator=torch.Generator().manual_seed(0)),)


def _pixels(batch: int = 2, size: int = 32) -> tuple:
    return (torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(0)),)


def _trained(model):
    """Perturb every parameter, as training would: fresh norms are all ones, and torch.onnx merges
    identical constants, which would hide half the weights map of a real checkpoint."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=generator) * 0.02)
    return model.eval()


def bert():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64)  # fmt: skip
    return _trained(BertModel(config, add_pooling_layer=False)), _ids()


def bert_padded():
    """BERT called as a tokenizer hands over a padded batch: input_ids and attention_mask by keyword."""
    model, (ids,) = bert()
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0  # the second sequence is three tokens shorter: padding
    return model, {"input_ids": ids, "attention_mask": mask}


def gpt2():
    from transformers import GPT2Config, GPT2Model

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=VOCAB, n_embd=32, n_layer=LAYERS, n_head=4, n_positions=64, use_cache=False)
    return _trained(GPT2Model(config)), _ids()


def llama():
    from transformers import LlamaConfig, LlamaModel

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=4,
                         num_key_value_heads=2, intermediate_size=64, max_position_embeddings=64, use_cache=False)  # fmt: skip
    return _trained(LlamaModel(config)), _ids()


def qwen2():
    from transformers import Qwen2Config, Qwen2Model

    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=4,
                         num_key_value_heads=2, intermediate_size=64, max_position_embeddings=64, use_cache=False)  # fmt: skip
    return _trained(Qwen2Model(config)), _ids()


def vit():
    from transformers import ViTConfig, ViTModel

    torch.manual_seed(0)
    config = ViTConfig(hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=4, intermediate_size=64,
                       image_size=32, patch_size=8)  # fmt: skip
    return _trained(ViTModel(config, add_pooling_layer=False)), _pixels()


def resnet():
    from transformers import ResNetConfig, ResNetModel

    torch.manual_seed(0)
    config = ResNetConfig(embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1], layer_type="basic")
    return _trained(ResNetModel(config)), _pixels()


def convnext():
    from transformers import ConvNextConfig, ConvNextModel

    torch.manual_seed(0)
    config = ConvNextConfig(hidden_sizes=[16, 32], depths=[1, 1], num_stages=2)
    return _trained(ConvNextModel(config)), _pixels()


def wav2vec2():
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    torch.manual_seed(0)
    config = Wav2Vec2Config(hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=4, intermediate_size=64,
                            conv_dim=(16, 16), conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=16,
                            num_conv_pos_embedding_groups=4, do_stable_layer_norm=True, feat_extract_norm="layer")  # fmt: skip
    audio = torch.randn(2, 400, generator=torch.Generator().manual_seed(0))
    return _trained(Wav2Vec2Model(config)), (audio,)


def mixtral():
    from transformers import MixtralConfig, MixtralModel

    torch.manual_seed(0)
    config = MixtralConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=4,
                           num_key_value_heads=2, intermediate_size=64, num_local_experts=4, num_experts_per_tok=2,
                           max_position_embeddings=64, use_cache=False)  # fmt: skip
    return _trained(MixtralModel(config)), _ids()


def qwen_moe():
    from transformers import Qwen2MoeConfig, Qwen2MoeModel

    torch.manual_seed(0)
    config = Qwen2MoeConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=4,
                            num_key_value_heads=2, intermediate_size=64, moe_intermediate_size=32,
                            shared_expert_intermediate_size=32, num_experts=4, num_experts_per_tok=2,
                            max_position_embeddings=64, use_cache=False)  # fmt: skip
    return _trained(Qwen2MoeModel(config)), _ids()


def deepseek_v3():
    from transformers import DeepseekV3Config, DeepseekV3Model

    torch.manual_seed(0)
    config = DeepseekV3Config(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=4,
                              num_key_value_heads=4, intermediate_size=64, moe_intermediate_size=32,
                              n_routed_experts=4, num_experts_per_tok=2, n_group=2, topk_group=1,
                              first_k_dense_replace=1, kv_lora_rank=16, q_lora_rank=16, qk_rope_head_dim=8,
                              qk_nope_head_dim=8, v_head_dim=8, max_position_embeddings=64, use_cache=False)  # fmt: skip
    return _trained(DeepseekV3Model(config)), _ids()


MODELS = {  # name -> dims kept symbolic
    "bert": ["batch", "seq"],
    "gpt2": ["batch", "seq"],
    "llama": ["batch", "seq"],
    "qwen2": ["batch", "seq"],
    "vit": ["batch"],
    "resnet": ["batch"],
    "convnext": ["batch"],
    "wav2vec2": ["batch", "samples"],
    "mixtral": ["batch", "seq"],
    "qwen_moe": ["batch", "seq"],
    "deepseek_v3": ["batch", "seq"],
}
