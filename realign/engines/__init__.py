"""Engines run the pipeline's stages over the data: `local` (one process, asyncio) and `ray` (Ray Data)."""
