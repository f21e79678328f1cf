"""hanota's harness: reference models of the device, Communications Hub and DCC, the virtual
clock, DUT adapters, PICS, the requirement catalogue, report rendering and the CLI."""

__version__ = "0.1.0"
