"""``cml``: the reference's newer package; its workers API is ``cml.workers_v1``."""
