"""``python -m api.cli``: the ``enclave`` command line."""

from api.cli.root import main

if __name__ == "__main__":
    main()
