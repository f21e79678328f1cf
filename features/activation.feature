Feature: Activation timing and version reporting
  GBCS separates distributing an image from activating it (domain.md section 2); on the HAN the
  hub's Upgrade End Response sets the upgrade time, 0xFFFFFFFF meaning "wait for a further
  command" (section 3). As implemented, SR 11.4 combines distribution and activation and the
  hub manages activation (section 2b). Alert (c) then reads the version back (minutes WG1_02,
  section 1.2, Table 4):

    "c) A short time after the firmware upgrade was due to have activated on the PPMID or the
    IHD to confirm firmware Version on the Device."

  "The device runs image X" is checked by reading CurrentFileVersion (attribute 0x0002) with
  Read Attributes.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "20 kB" with a newer file version

  Rule: SECMP7-ACT-001 Distribution does not activate the image
    GBCS: "distribution of an image to devices without activating it", then a separate
    activation.

    @SECMP7-ACT-001 @side-device
    Scenario: A downloaded image is not running before its upgrade time
      Given the hub will set the upgrade time to "1 hour later"
      When the hub offers image "new" to the device
      And the download runs to its end
      Then the device runs image "original"

  Rule: SECMP7-ACT-002 The image is activated at the upgrade time
    Upgrade End Response (0x07): current time and upgrade time (an offset when current time is 0).
    Until then the device holds the image and says so: ImageUpgradeStatus 4, count down.

    @SECMP7-ACT-002 @SECMP7-ACT-001 @SECMP7-ACT-004 @side-device
    Scenario Outline: The device activates the image at the upgrade time "<when>"
      Given the hub will set the upgrade time to "<when>"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "<before>" pass
      Then the device runs image "original"
      And the device reports ImageUpgradeStatus "count down"
      When "<after>" pass
      Then the device runs image "new"
      And the device reports ImageUpgradeStatus "normal"

      Examples:
        | when                           | before    | after     |
        | 10 minutes later               | 9 minutes | 2 minutes |
        | 10 minutes later, as an offset | 9 minutes | 2 minutes |
        | 24 hours later                 | 23 hours  | 2 hours   |

    @SECMP7-ACT-002 @SECMP7-ACT-004 @side-device
    Scenario: The device activates at once when the upgrade time is now
      Given the hub will set the upgrade time to "now"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device runs image "new"

  Rule: SECMP7-ACT-003 Upgrade time 0xFFFFFFFF waits for a further command
    Upgrade End Response upgrade time 0xFFFFFFFF: wait for a further command, meanwhile
    ImageUpgradeStatus 3, waiting to upgrade.

    @SECMP7-ACT-003 @SECMP7-ACT-004 @side-device
    Scenario: The device waits for the hub's command before activating
      Given the hub will set the upgrade time to "wait for a further command"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "24 hours" pass
      Then the device runs image "original"
      And the device reports ImageUpgradeStatus "waiting to upgrade"
      When the hub sends a further Upgrade End Response with upgrade time "now"
      And "1 minute" pass
      Then the device runs image "new"

  Rule: SECMP7-ACT-004 The running version is reported through Read Attributes
    "to confirm firmware Version on the Device."

    @SECMP7-ACT-004 @side-device
    Scenario: The device reports the new version and a normal upgrade status after activation
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device runs image "new"
      And the device reports ImageUpgradeStatus "normal"
