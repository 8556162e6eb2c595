"""A settlement statement as CSV (for other software), XLSX (for the treasurer's spreadsheet) and PDF
(to print, sign and file): the same figures, to the satang, as the page and the JSON.

Money is integer satang everywhere here; the XLSX shows baht as ``Decimal(satang) / 100`` (exact) and
the PDF as ``format_thb`` figures, with the net also in Thai words (``baht_text``).
"""
from .csv_file import CSV_HEADER, statement_csv, statement_csv_people
from .pdf_file import statement_pdf
from .xlsx_file import statement_xlsx

__all__ = ["CSV_HEADER", "statement_csv", "statement_csv_people", "statement_pdf", "statement_xlsx"]
