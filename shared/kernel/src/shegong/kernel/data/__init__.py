"""Personal data and the files it arrives in: identity (ID numbers, phones, keyed hashes and
masks), names, redaction, the guarded spreadsheet reader and its worker, and the headed
table layer every importer reads through."""
