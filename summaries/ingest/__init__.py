"""Turning files, pages, feeds and pasted text into cleaned article drafts."""
