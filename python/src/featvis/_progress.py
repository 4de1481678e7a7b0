"""Progress for renders and batch runs: a callable of the caller's, a tqdm bar when tqdm is installed, or
nothing. The C library calls back after every step; Ctrl-C is noticed there (KeyboardInterrupt)."""


def _tqdm():
    """tqdm's notebook bar where Jupyter widgets are installed, else its text bar; None without tqdm."""
    try:
        import ipywidgets  # noqa: F401 (tqdm.auto's notebook bar needs it, and fails without)
        from tqdm.auto import tqdm
    except ImportError:
        try:
            from tqdm import tqdm
        except ImportError:
            return None
    return tqdm


class _StepBar:
    """A tqdm bar over a render's steps; a new pass (a batch split by memory) starts it again."""

    def __init__(self, tqdm, desc):
        self.tqdm, self.desc, self.bar, self.passes = tqdm, desc, None, 0

    def __call__(self, step, steps, values):
        if self.bar is None or step < self.bar.n:
            self.close()
            self.passes += 1
            desc = self.desc if self.passes == 1 else "%s (pass %d)" % (self.desc, self.passes)
            self.bar = self.tqdm(total=steps, desc=desc, unit="step", leave=True)
        self.bar.update(step - self.bar.n)
        if values:
            self.bar.set_postfix(objective="%.4g" % (sum(values) / len(values)), refresh=False)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class _ImageBar:
    """A tqdm bar over a batch run's images (already done ones count at once)."""

    def __init__(self, tqdm, desc):
        self.tqdm, self.desc, self.bar = tqdm, desc, None

    def __call__(self, finished, total):
        if self.bar is None:
            self.bar = self.tqdm(total=total, desc=self.desc, unit="image")
        self.bar.n = min(finished, total)
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Reporter:
    """What the C library calls with progress: the caller's callable, a tqdm bar, or None. Use as a context
    manager so a bar is closed however the call ends."""

    def __init__(self, progress, kind, desc):
        self.bar = None
        if callable(progress) and progress is not True:
            self.callback = progress
        elif progress is False:
            self.callback = None
        else:  # None (the default) or True: a bar when tqdm is there
            tqdm = _tqdm()
            self.bar = (_StepBar if kind == "steps" else _ImageBar)(tqdm, desc) if tqdm else None
            self.callback = self.bar

    def __enter__(self):
        return self.callback

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False
