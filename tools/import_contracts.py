"""A custom import-linter contract: forbid submodules of an external package.

import-linter's own ``forbidden`` contract sees an external package only as a
whole (``PySide6``), but the services layer may use ``PySide6.QtCore`` and
must not use ``PySide6.QtWidgets``. This contract reads the import lines grimp
recorded for each direct import of the package and names the submodules in
them. Registered in pyproject.toml as ``forbidden_submodules``; lint-imports
puts the working directory on ``sys.path``, so it is found as ``tools.import_contracts``.
"""

from __future__ import annotations

import ast

from importlinter import Contract, ContractCheck, fields, output


def imported_names(line: str) -> set[str]:
    """The full module names one import line names (``from a import b`` gives a and a.b)."""
    text = line.strip().rstrip("(\\").strip()
    try:
        node = ast.parse(text).body[0]
    except (SyntaxError, IndexError):
        return set()
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return set()


class ForbiddenSubmodulesContract(Contract):
    """Modules under ``source_modules`` never import any of ``forbidden_modules`` directly.

    ``forbidden_modules`` are dotted names inside an external package (such as
    ``PySide6.QtWidgets``); the top-level configuration needs
    ``include_external_packages = true``.
    """

    type_name = "forbidden_submodules"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        forbidden = list(self.forbidden_modules)  # type: ignore[arg-type]
        roots = {name.split(".")[0] for name in forbidden}
        offences = []
        for source in self.source_modules:  # type: ignore[attr-defined]
            if source.name not in graph.modules:
                raise ValueError(f"Module '{source.name}' does not exist.")
            for importer in sorted({source.name} | graph.find_descendants(source.name)):
                for root in sorted(roots & graph.find_modules_directly_imported_by(importer)):
                    for detail in graph.get_import_details(importer=importer, imported=root):
                        names = imported_names(detail["line_contents"])
                        offences += [(importer, detail["line_number"], f) for f in forbidden
                                     if any(n == f or n.startswith(f + ".") for n in names)]
        return ContractCheck(kept=not offences, metadata={"offences": offences})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, line, name in check.metadata["offences"]:
            output.print_error(f"{importer} is not allowed to import {name} (l.{line})", bold=False)
        output.new_line()


class ModelFoldersContract(Contract):
    """The model folders under ``container`` never import each other, directly or through other modules.

    A model folder is a package directly under ``container`` whose ``__init__.py`` defines ``SPEC``
    (found when the contract runs, so a new model is covered without naming it here); the shared
    packages (``models.common`` and the like) define none and may be imported by every model.
    """

    type_name = "model_folders"

    container = fields.ModuleField()

    def _model_packages(self, graph) -> list[str]:
        import importlib.util
        from pathlib import Path

        name = self.container.name  # type: ignore[attr-defined]
        spec = importlib.util.find_spec(name)
        root = Path(next(iter(spec.submodule_search_locations)))
        found = []
        for child in sorted(graph.find_children(name)):
            init = root / child.rpartition(".")[2] / "__init__.py"
            if init.is_file() and "SPEC" in init.read_text(encoding="utf-8", errors="replace"):
                found.append(child)
        return found

    def check(self, graph, verbose: bool) -> ContractCheck:
        packages = self._model_packages(graph)
        offences = []
        for a in packages:
            for b in packages:
                if a != b and graph.chain_exists(importer=a, imported=b, as_packages=True):
                    chain = graph.find_shortest_chains(importer=a, imported=b)
                    offences.append((a, b, sorted(chain)[0] if chain else ()))
        return ContractCheck(kept=not offences and len(packages) >= 2,
                             metadata={"offences": offences, "packages": packages})

    def render_broken_contract(self, check: ContractCheck) -> None:
        if len(check.metadata["packages"]) < 2:
            output.print_error("fewer than two model folders were found; the contract checks nothing", bold=False)
        for a, b, chain in check.metadata["offences"]:
            output.print_error(f"{a} imports {b}: {' -> '.join(chain)}", bold=False)
        output.new_line()
