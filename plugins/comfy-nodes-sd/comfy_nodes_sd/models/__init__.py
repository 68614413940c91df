"""The networks, in torch: UNet (``unet``), CLIP text encoder (``clip``), AutoencoderKL (``vae``), and the
layers they share (``ops``). Modules are named after the checkpoint keys, so a state dict loads as is."""
