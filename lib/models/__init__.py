"""Models: the allow-listed registry, the cached loader, the bundled-model base, preprocessing."""
from lib.models.bundled import BundledModel, save_bundled
from lib.models.device import get_device
from lib.models.errors import ModelUnavailableError
from lib.models.preprocess import PreprocessConfig, preprocess_config, spec_preprocess_config, video_to_tensor
from lib.models.registry import SPECS, ModelSpec, clear_model_cache, get_spec, list_models, load_from, load_model

__all__ = [
    "SPECS",
    "BundledModel",
    "ModelSpec",
    "ModelUnavailableError",
    "PreprocessConfig",
    "clear_model_cache",
    "get_device",
    "get_spec",
    "list_models",
    "load_from",
    "load_model",
    "preprocess_config",
    "save_bundled",
    "spec_preprocess_config",
    "video_to_tensor",
]
