"""The layers in .importlinter cover the whole product: a module outside every layer would be
free to import anything, so a new package must be given its place."""

import configparser
import pkgutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Django's own wiring, which imports the layers rather than being imported by them.
OUTSIDE_THE_LAYERS = {"migrations", "__init__"}
# The supervision app's models module, which Django loads: it only gathers the models of the
# two lowest layers, so a module importing it depends on nothing above them.
GATHERING_MODULES = {"supervision.models"}


def _layers() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    modules = []
    for line in config["importlinter:contract:layers"]["layers"].splitlines():
        for name in line.replace("|", ":").split(":"):
            if name.strip():
                modules.append(name.strip())
    return modules


def _product_modules() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    roots = config["importlinter"]["root_packages"].split()
    found = []
    for root in roots:
        for info in pkgutil.walk_packages([str(ROOT / root)], f"{root}."):
            if info.name not in GATHERING_MODULES and not (
                set(info.name.split(".")) & OUTSIDE_THE_LAYERS
            ):
                found.append(info.name)
    return found


def _covered(module: str, layers: list[str]) -> bool:
    return any(module == layer or module.startswith(layer + ".") for layer in layers)


def test_every_module_of_the_product_is_in_a_layer():
    layers = _layers()
    outside = [m for m in _product_modules() if not _covered(m, layers)]
    assert not outside, f"give these a layer in .importlinter: {outside}"


def test_the_layers_name_only_modules_that_exist():
    modules = set(_product_modules())
    packages = {m.rsplit(".", i)[0] for m in modules for i in range(1, m.count(".") + 1)}
    missing = [layer for layer in _layers() if layer not in modules | packages]
    assert not missing, f"these layers name no module: {missing}"
