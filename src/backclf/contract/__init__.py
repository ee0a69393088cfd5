"""What goes in and out: the findings, their column codes, the assessment."""
