"""The menu's data model, shared by every engine and the scan: items, readings, how names compare."""
