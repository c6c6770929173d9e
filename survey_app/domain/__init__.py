"""Pure domain: dataclasses and math, no Flask, no boto3, no I/O."""
