"""Image work: every published photo is re-encoded without its metadata, in a few widths.

``plan`` probes the images the site publishes and decides the files to make; ``process`` makes
them (Pillow, one image per worker process); ``cache`` keeps the results under ``cache_dir`` by
content hash and settings, so a rebuild with unchanged images does no image work.
"""
