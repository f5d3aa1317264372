"""Tools beside the pipeline: ``nasrepro bench`` (``bench``, ``bench_imagenet``), ``check-device``
(``device_check``), ``verify-nb-macro`` (``verify``) and ``arch`` (``describe``). The workflow never
calls them; they measure and check what it runs."""
