Feature: Firmware version in the Smart Metering Inventory
  The inventory holds a clear record of the firmware each IHD and PPMID runs (minutes WG1_02,
  section 1.2, Table 4, row '8.1 Summary of changes, point 10', and requirement (c)):

    "It was highlighted that the continuation of local firmware upgrades could cause unreliable
    information being stored in the inventory. [...] SECAS proposed that banning local upgrades
    will ensure a reliable process and clear records of firmware."

  The version recorded is the one read back from the device a short time after activation
  (alert (c)), never the one merely requested.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "200 kB" with a newer file version

  Rule: SECMP7-INV-001 The inventory records the firmware version confirmed on the device
    "banning local upgrades will ensure a reliable process and clear records of firmware."

    @SECMP7-INV-001 @side-dcc
    Scenario Outline: The inventory records the new version after <requester> updates the device
      When "<requester>" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then the inventory records the file version of image "new" for the device

      Examples:
        | requester  |
        | Supplier A |
        | Supplier B |

  Rule: SECMP7-INV-002 The inventory never records a version the device does not run
    "could cause unreliable information being stored in the inventory."

    @SECMP7-INV-002 @side-dcc
    Scenario: The inventory keeps the old version when activation failed
      Given the device fails to activate the next image
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then the inventory records the file version of image "original" for the device
      And the inventory does not change for the device

    @SECMP7-INV-002 @side-dcc
    Scenario: The inventory does not change before the version is confirmed
      When "Supplier A" requests a firmware update of the device with image "new"
      Then the inventory records the file version of image "original" for the device
      And the inventory does not change for the device

    @SECMP7-INV-002 @side-dcc
    Scenario: A device-specific file for another device leaves the inventory as it was
      The DCC may distribute it (no requirement binds the DCC to the file's destination); the
      device refuses it, and the version read back afterwards is the one it ran.
      Given image "new" is a device-specific file for another device
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then the device runs image "original"
      And the inventory does not change for the device

    @SECMP7-INV-002 @side-dcc
    Scenario: An image outside the device's hardware range leaves the inventory as it was
      Given image "new" is altered so that "the hardware version range is entirely above the device's"
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then the device runs image "original"
      And the inventory does not change for the device
