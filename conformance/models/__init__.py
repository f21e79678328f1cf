"""Sans-I/O reference models: device (IHD/PPMID OTA client), Communications Hub, DCC, inventory."""
