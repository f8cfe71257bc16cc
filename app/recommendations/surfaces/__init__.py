"""One module per list shown to shoppers, and the rules they share (filters, reasons, taste match)."""
