"""The reference algorithms the Java preprocessing ports, kept as the originals wrote them.

Sources (inference-time code, copied for test-fixture generation only):
- haotian-liu/LLaVA ``llava/mm_utils.py``: ``expand2square``, ``select_best_resolution``,
  ``resize_and_pad_image``, ``divide_to_patches``, ``get_anyres_image_grid_shape``,
  ``process_anyres_image``;
- LLaVA-VL/LLaVA-NeXT ``llava/mm_utils.py``: the ``"(1x1),...,(6x6)"`` pinpoint strings;
- ``llava/model/llava_arch.py`` (both): ``unpad_image`` and the ``spatial_unpad`` / ``anyres_max_N``
  token layout, reduced to shape arithmetic (no torch here);
- HF transformers ``image_transforms`` (``resize`` via PIL, ``center_crop``, ``rescale``,
  ``normalize``) as used by ``CLIPImageProcessor`` and LLaVA-NeXT's ``SigLipImageProcessor``,
  reimplemented with numpy (transformers is not installable here); the op order and dtypes follow
  transformers: uint8 * python float -> float64 -> astype(float32); (x - mean32) / std32 in float32.
"""
import math
import re

import numpy as np
from PIL import Image

RESCALE = 1 / 255  # CLIP preprocessor_config rescale_factor 0.00392156862745098


def expand2square(pil_img, background_color):
    width, height = pil_img.size
    if width == height:
        return pil_img
    elif width > height:
        result = Image.new(pil_img.mode, (width, width), background_color)
        result.paste(pil_img, (0, (width - height) // 2))
        return result
    else:
        result = Image.new(pil_img.mode, (height, height), background_color)
        result.paste(pil_img, ((height - width) // 2, 0))
        return result


def select_best_resolution(original_size, possible_resolutions):
    original_width, original_height = original_size
    best_fit = None
    max_effective_resolution = 0
    min_wasted_resolution = float("inf")
    for width, height in possible_resolutions:
        scale = min(width / original_width, height / original_height)
        downscaled_width, downscaled_height = int(original_width * scale), int(original_height * scale)
        effective_resolution = min(downscaled_width * downscaled_height, original_width * original_height)
        wasted_resolution = (width * height) - effective_resolution
        if effective_resolution > max_effective_resolution or (
                effective_resolution == max_effective_resolution and wasted_resolution < min_wasted_resolution):
            max_effective_resolution = effective_resolution
            min_wasted_resolution = wasted_resolution
            best_fit = (width, height)
    return best_fit


def resize_and_pad_geometry(original_size, target_resolution):
    """The arithmetic of resize_and_pad_image: (new_width, new_height, paste_x, paste_y)."""
    original_width, original_height = original_size
    target_width, target_height = target_resolution
    scale_w = target_width / original_width
    scale_h = target_height / original_height
    if scale_w < scale_h:
        new_width = target_width
        new_height = min(math.ceil(original_height * scale_w), target_height)
    else:
        new_height = target_height
        new_width = min(math.ceil(original_width * scale_h), target_width)
    return new_width, new_height, (target_width - new_width) // 2, (target_height - new_height) // 2


def resize_and_pad_image(image, target_resolution):
    new_width, new_height, paste_x, paste_y = resize_and_pad_geometry(image.size, target_resolution)
    resized_image = image.resize((new_width, new_height))
    new_image = Image.new("RGB", target_resolution, (0, 0, 0))
    new_image.paste(resized_image, (paste_x, paste_y))
    return new_image


def divide_to_patches(image, patch_size):
    patches = []
    width, height = image.size
    for i in range(0, height, patch_size):
        for j in range(0, width, patch_size):
            box = (j, i, j + patch_size, i + patch_size)
            patches.append(image.crop(box))
    return patches


def expand_pinpoint_string(grid_pinpoints, patch_size):
    """LLaVA-NeXT: "(1x1),...,(6x6)" -> [[i*S, j*S] for i in a0..b0 for j in a1..b1]."""
    matches = re.findall(r"\((\d+)x(\d+)\)", grid_pinpoints)
    range_start = tuple(map(int, matches[0]))
    range_end = tuple(map(int, matches[-1]))
    grid = [(i, j) for i in range(range_start[0], range_end[0] + 1)
            for j in range(range_start[1], range_end[1] + 1)]
    return [[dim * patch_size for dim in pair] for pair in grid]


def get_anyres_image_grid_shape(image_size, grid_pinpoints, patch_size):
    width, height = select_best_resolution(image_size, grid_pinpoints)
    return width // patch_size, height // patch_size


def unpad_shape(current_height, current_width, original_size):
    """unpad_image on a (C, current_height, current_width) tensor -> kept (rows, cols, row0, col0)."""
    original_width, original_height = original_size
    original_aspect_ratio = original_width / original_height
    current_aspect_ratio = current_width / current_height
    if original_aspect_ratio > current_aspect_ratio:
        scale_factor = current_width / original_width
        new_height = int(original_height * scale_factor)
        padding = (current_height - new_height) // 2
        return current_height - 2 * padding, current_width, padding, 0
    scale_factor = current_height / original_height
    new_width = int(original_width * scale_factor)
    padding = (current_width - new_width) // 2
    return current_height, current_width - 2 * padding, 0, padding


def spatial_unpad_tokens(original_size, grid_pinpoints, tile, side, max_patches=0):
    """Tokens of one image under mm_patch_merge_type=spatial_unpad (+ anyres_max_N)."""
    cols, rows = get_anyres_image_grid_shape(original_size, grid_pinpoints, tile)
    h, w, _, _ = unpad_shape(rows * side, cols * side, original_size)
    if max_patches:
        times = math.sqrt(h * w / (max_patches * side ** 2))
        if times > 1.1:
            h, w = int(h // times), int(w // times)
    return side * side + h * (w + 1), cols, rows, h, w


# ---- HF image processors on uint8 HWC numpy arrays ---------------------------------------------

def hf_resize(arr, height, width, resample):
    im = Image.fromarray(arr)
    return np.array(im.resize((width, height), resample=resample, reducing_gap=None))


def shortest_edge_size(height, width, size):
    short, long = (width, height) if width <= height else (height, width)
    if short == size:
        return height, width
    new_short, new_long = size, int(size * long / short)
    return (new_long, new_short) if width <= height else (new_short, new_long)


def center_crop(arr, size):
    h, w = arr.shape[:2]
    top = (h - size) // 2
    left = (w - size) // 2
    return arr[top:top + size, left:left + size]


def rescale_normalize(arr, mean, std):
    x = (arr * RESCALE).astype(np.float32)
    return (x - np.array(mean, dtype=np.float32)) / np.array(std, dtype=np.float32)


def clip_preprocess(img, size, mean, std, resample=Image.BICUBIC):
    arr = np.array(img.convert("RGB"))
    h, w = shortest_edge_size(arr.shape[0], arr.shape[1], size)
    arr = hf_resize(arr, h, w, resample)
    return rescale_normalize(center_crop(arr, size), mean, std)


def siglip_preprocess(img, size, mean, std, resample=Image.BICUBIC):
    arr = hf_resize(np.array(img.convert("RGB")), size, size, resample)
    return rescale_normalize(arr, mean, std)


def process_images(img, mode, processor, size, mean, std, pinpoints):
    """LLaVA process_images for one image -> list of HWC float32 arrays (base first for anyres)."""
    prep = clip_preprocess if processor == "clip" else siglip_preprocess
    if mode == "pad":
        img = expand2square(img, tuple(int(x * 255) for x in mean))
        return [prep(img, size, mean, std)]
    if mode == "anyres":
        best = select_best_resolution(img.size, pinpoints)
        padded = resize_and_pad_image(img, best)
        patches = divide_to_patches(padded, size)
        base = img.resize((size, size))
        return [prep(p, size, mean, std) for p in [base] + patches]
    return [prep(img, size, mean, std)]
