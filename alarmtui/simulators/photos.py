"""Synthetic but realistic camera JPEGs: a room, some furniture, a time stamp."""

from __future__ import annotations

import io
import random
from datetime import datetime

from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 640, 480


def render_scene(zone_name: str, when: float, *, frame: int = 0, seed: int = 0, size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    """A 640x480 JPEG that looks like a PIR camera still (greyish, noisy, stamped)."""
    width, height = size
    rng = random.Random(seed * 7919 + frame)
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    # Floor and wall gradient.
    horizon = int(height * 0.62)
    for y in range(height):
        if y < horizon:
            shade = 120 + int(50 * y / horizon)
            draw.line([(0, y), (width, y)], fill=(shade, shade - 8, shade - 20))
        else:
            shade = 90 + int(40 * (y - horizon) / (height - horizon))
            draw.line([(0, y), (width, y)], fill=(shade - 10, shade - 25, shade - 40))
    # A door, a window and some furniture, placed by the zone's seed so each camera differs.
    door_x = rng.randint(40, width // 2)
    draw.rectangle([door_x, horizon - 210, door_x + 90, horizon], fill=(96, 70, 50), outline=(60, 40, 30), width=3)
    draw.ellipse([door_x + 70, horizon - 110, door_x + 80, horizon - 100], fill=(200, 180, 90))
    win_x = rng.randint(width // 2, width - 170)
    draw.rectangle([win_x, 60, win_x + 140, 170], fill=(170, 200, 225), outline=(230, 230, 230), width=6)
    draw.line([(win_x + 70, 60), (win_x + 70, 170)], fill=(230, 230, 230), width=4)
    sofa_x = rng.randint(0, width - 260)
    draw.rounded_rectangle([sofa_x, horizon + 20, sofa_x + 240, horizon + 110], radius=18, fill=(70, 90, 120))
    # Something moving: a figure that shifts between frames.
    fx = 180 + frame * 70 + rng.randint(-20, 20)
    draw.ellipse([fx, horizon - 150, fx + 40, horizon - 110], fill=(40, 40, 45))
    draw.rounded_rectangle([fx - 10, horizon - 110, fx + 50, horizon + 10], radius=12, fill=(35, 35, 40))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    # Sensor noise.
    noise = Image.effect_noise(size, 18).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    draw = ImageDraw.Draw(image)
    stamp = datetime.fromtimestamp(when).strftime("%Y-%m-%d %H:%M:%S")
    font = ImageFont.load_default()
    label = f"{zone_name}  {stamp}  #{frame + 1}"
    draw.rectangle([0, height - 22, width, height], fill=(0, 0, 0))
    draw.text((8, height - 18), label, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
