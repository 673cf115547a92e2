"""Build-time only (sandbox/build-image.sh): writes the module bundle of one skillgate program.

Usage: python3 -I [-S] build_module_bundle.py PROGRAM     (with the flags PROGRAM runs with)

Loads /opt/skillgate/PROGRAM.py as a module (so its main does not run), calls its
bundle_warmup() when it has one (to load what the program imports later, such as Bandit), and
writes, to module_bundle.bundle_path(PROGRAM), the code of every module this loaded from a .py
file, compiled from that file (see module_bundle.py for the format and its use). Run it in the
image the program runs in, with the same interpreter.
"""
import sys

HERE = "/opt/skillgate"


def load(name, path):
    external = sys.modules["_frozen_importlib_external"]
    spec = external.spec_from_file_location(name, path)
    module = sys.modules["_frozen_importlib"].module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(program):
    sys.dont_write_bytecode = True  # the image gets the bundle, not __pycache__ folders of the helpers
    bundle = load("skillgate_module_bundle", "%s/module_bundle.py" % HERE)
    before = set(sys.modules)
    module = load("skillgate_program", "%s/%s.py" % (HERE, program))
    warmup = getattr(module, "bundle_warmup", None)
    if warmup is not None:
        warmup()
    modules = {}
    for name, mod in sorted(sys.modules.items()):
        spec = getattr(mod, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if name in before or getattr(spec, "name", None) != name or not isinstance(origin, str) or not origin.endswith(".py") \
                or getattr(mod, "__file__", None) != origin or origin.startswith(HERE + "/"):
            continue
        with open(origin, "rb") as fh:
            code = compile(fh.read(), origin, "exec", dont_inherit=True)
        modules[name] = (spec.submodule_search_locations is not None, origin, code)
    if not modules:
        sys.exit("build_module_bundle: %s imported no module from a .py file" % program)
    out = bundle.bundle_path(program)
    with open(out, "wb") as fh:
        fh.write(bundle.pack(modules))
    print("build_module_bundle: %d modules for %s in %s" % (len(modules), program, out), file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("static_rules", "harness"):
        sys.exit("usage: build_module_bundle.py static_rules|harness")
    main(sys.argv[1])
