"""The optional C extension (pickledbd/daemon/_speedups.c: the daemon's per-request hot path).

Everything else is declared in pyproject.toml. The extension is optional: when it cannot be
built (no compiler, no Python headers) the install goes on with the pure Python package,
which behaves the same, only slower (see pickledbd/daemon/speedups.py).
"""
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class optional_build_ext(build_ext):
    """build_ext that warns instead of failing the install."""

    def run(self):
        try:
            super().run()
        except Exception as e:  # no compiler at all (DistutilsPlatformError, ...)
            self._skipped(e)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as e:  # CompileError, LinkError, missing Python.h
            self._skipped(e)

    def _skipped(self, e):
        self.warn("pickledbd: the optional C speedups were not built (%s); "
                  "the pure Python daemon is used instead" % e)


setup(
    ext_modules=[Extension("pickledbd.daemon._speedups", ["pickledbd/daemon/_speedups.c"],
                           optional=True)],
    cmdclass={"build_ext": optional_build_ext},
)
