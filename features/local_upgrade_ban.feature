Feature: Ban on local firmware upgrades via Hand Held Terminals
  Firmware of IHDs and PPMIDs changes only over the air, so that the inventory stays reliable
  (minutes WG1_02, section 1.2, Table 4, row '8.1 Summary of changes, point 10'):

    "It was highlighted that the continuation of local firmware upgrades could cause unreliable
    information being stored in the inventory. [...] SECAS proposed that banning local upgrades
    will ensure a reliable process and clear records of firmware."
    "It was agreed to ban local firmware upgrades via Hand Held Terminals (HHT) in order to
    progress the Modification Proposal’s refinement. The Chair, however, noted that the question
    about whether this is the right decision can be asked in the Consultation."

  Whether the ban is right is an open question (SECMP7-HHT-003); until the Consultation
  answers it, a device conforms only if it refuses local upgrades.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "local" of "200 kB" with a newer file version

  Rule: SECMP7-HHT-001 No firmware from a Hand Held Terminal over the HAN
    "It was agreed to ban local firmware upgrades via Hand Held Terminals (HHT)"
    The minutes ban a practice and note that "the upgrade cannot be blocked if it is carried out
    locally": what a device can be tested for is that it takes no image an HHT offers over the
    HAN. Both are the minutes' only: not applicable under the as-implemented rules.

    @SECMP7-HHT-001 @SECMP7-ACT-004 @side-device
    Scenario: The device refuses an image offered by a Hand Held Terminal
      When a Hand Held Terminal offers image "local" to the device
      And "1 hour" pass
      Then the device does not download image "local"
      And the device runs image "original"

    @SECMP7-HHT-001 @side-device
    Scenario: The device still takes the same image over the air from its hub
      When a Hand Held Terminal offers image "local" to the device
      And "1 hour" pass
      And the hub offers image "local" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device runs image "local"

  Rule: SECMP7-HHT-002 After a local upgrade attempt the inventory still matches the device
    "banning local upgrades will ensure a reliable process and clear records of firmware."
    Both are observed: the version the device reports when read, which taking the image would
    change, and the version the inventory records.

    @SECMP7-HHT-002 @side-device
    Scenario: After a local upgrade attempt the device still reports what the inventory records
      When a Hand Held Terminal offers image "local" to the device
      And "1 hour" pass
      Then the version the device reports is the one the inventory records for it
      And the device runs image "original"
