"""The shapes of a version pin (chart, image); domain/versions.py and domain/services.py hold the pins."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartPin:
    """A Helm chart pinned by repository and exact version."""

    chart: str
    version: str
    repository: str  # https:// Helm repository, or the oci:// registry path of the chart
    app_version: str = ""
    released: str = ""  # ISO date of the chart release; empty: not verified
    released_source: str = ""  # where that date is recorded
    # Why the values we set are not checked against this version's own values.yaml (empty: they are);
    # the offline plan warns with it until the chart of this version has been read.
    values_unverified: str = ""

    @property
    def is_oci(self) -> bool:
        return self.repository.startswith("oci://")

    @property
    def chart_ref(self) -> str:
        """What helm.v3.Release takes as `chart`: the name, or the full OCI reference."""
        return self.repository if self.is_oci else self.chart


@dataclass(frozen=True)
class ImagePin:
    """A container image the program sets, pinned by tag and, where a source records it, by digest."""

    reference: str  # registry/repository:tag
    released: str = ""  # ISO date of the release (or of the image build); empty: not verified
    released_source: str = ""
    digest: str = ""  # sha256 of the multi-platform index; empty: no source here records it
    digest_source: str = ""
    chart: str = ""  # the chart (CHARTS key) that sets this image too; its default must match
    differs_from_chart: str = ""  # why the pin is not the chart's default, if it is not

    @property
    def tag(self) -> str:
        return self.reference.rpartition(":")[2]

    @property
    def pinned(self) -> str:
        """What a pod spec runs: repository:tag@digest where the digest is verified, else repository:tag."""
        return f"{self.reference}@{self.digest}" if self.digest else self.reference
