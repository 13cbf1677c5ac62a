"""One scan run: the pipeline from upload to done, the photo's checks, the result cache and the dish
knowledge that scans teach."""
