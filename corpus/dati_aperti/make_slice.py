"""Cut the real open-data slice of the sample knowledge base from the shared Italia Domani and PA digitale files.

    .venv/bin/python corpus/dati_aperti/make_slice.py [--data ../shared/data]

Projects: every validated PNRR project carried out by a comune (`Soggetto attuatore` "COMUNE DI …") under Mission 2
(green transition), plus the comuni's projects under other missions whose title or summary names energy
efficiency, renewables or public lighting (the sample corpus's themes), with their locations; written in the
portal's CSV conventions (`;`, UTF-8 with BOM, the Parquet release's column names). Calls: Italia Domani's PNRR calls
and PA digitale 2026's calls, as published. Sources and licences: corpus/README.md.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ENERGY = r"ENERGETIC|ILLUMINAZ|FOTOVOLTAIC|RINNOVABIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=HERE.parents[2] / "shared" / "data")
    args = parser.parse_args()
    pnrr = args.data / "pnrr"
    projects = pd.read_parquet(pnrr / "progetti_validati.parquet", engine="fastparquet")
    by_comune = projects["Soggetto attuatore"].fillna("").str.upper().str.startswith("COMUNE DI")
    text = (projects["Titolo progetto"].fillna("") + " " + projects["Sintesi progetto"].fillna("")).str.upper()
    chosen = projects[by_comune & ((projects["Missione"] == "M2") | text.str.contains(ENERGY))]
    chosen = chosen.sort_values(["CUP", "Codice Univoco Submisura"])
    chosen.to_csv(HERE / "progetti_pnrr_comuni.csv", sep=";", index=False, encoding="utf-8-sig",
                  date_format="%Y-%m-%d")
    locations = pd.read_parquet(pnrr / "localizzazioni_validate.parquet", engine="fastparquet")
    located = locations[locations["CUP"].isin(set(chosen["CUP"]))].sort_values(["CUP", "COD_ISTAT_COMUNE"])
    located.to_csv(HERE / "localizzazioni_pnrr_comuni.csv", sep=";", index=False, encoding="utf-8-sig",
                   date_format="%Y-%m-%d")
    shutil.copyfile(pnrr / "PNRR_Bandi e Avvisi.csv", HERE / "bandi_pnrr.csv")
    shutil.copyfile(args.data / "padigitale2026" / "avvisi.json", HERE / "avvisi_padigitale2026.json")
    print(f"{chosen['CUP'].nunique()} progetti ({len(chosen)} righe, "
          f"{(chosen['Missione'] == 'M2').sum()} righe in Missione 2), {len(located)} localizzazioni")


if __name__ == "__main__":
    main()
