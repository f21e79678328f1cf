Feature: ZigBee OTA Upgrade cluster client behaviour
  None of the working group's decisions works unless the device gets the ZigBee OTA Upgrade
  cluster (0x0019) right: the query after an Image Notify, the block download and its limits,
  resuming, the status codes and the answer to malformed commands (domain.md section 3; ZigBee
  document 095264). As implemented, the Communications Hub is the PPMID's OTA server and
  distributes images over ZigBee OTA (domain.md section 2b).

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "20 kB" with a newer file version

  Rule: SECMP7-OTA-001 Image Notify leads to a correct Query Next Image Request
    Query Next Image Request (0x01): field control, manufacturer code, image type, current file
    version, optional hardware version.

    @SECMP7-OTA-001 @side-device
    Scenario: The device answers an Image Notify with a Query Next Image Request describing itself
      When the hub offers image "new" to the device
      Then the device sends a Query Next Image Request with its manufacturer code, image type and current file version

  Rule: SECMP7-OTA-002 Block requests stay within the image and the offered size
    Image Block Request (0x03): file offset and maximum data size; Image Block Response (0x05).

    @SECMP7-OTA-002 @SECMP7-OTA-006 @side-device
    Scenario: The device downloads the image block by block from start to end
      When the hub offers image "new" to the device
      And the download runs to its end
      Then every Image Block Request names image "new" and continues from the data received
      And the device sends an Upgrade End Request with status "SUCCESS"

    @SECMP7-OTA-002 @side-device
    Scenario: The device does not take a block at an offset it did not ask for
      The frame is an Image Block Response for image "new" (its manufacturer code, image type
      and file version, as the device was offered it) carrying one byte at file offset 64 when
      the device asked for offset 0. The device must not count it as data received.
      Given the hub answers the next "Image Block Request" with the frame "19 00 05 00 {identity of new} 40 00 00 00 01 ff"
      When the hub offers image "new" to the device
      And "1 second" pass
      Then every Image Block Request names image "new" and continues from the data received
      And the device runs image "original"

    @SECMP7-OTA-002 @side-device
    Scenario: The device does not take a block larger than it asked for
      The frame is an Image Block Response for image "new" at file offset 0, the offset asked
      for, carrying 65 bytes. A device that asks for at most 64 bytes (the reference device
      does) must not count it as data received; a device that asked for 65 or more may take it.
      Given the hub answers the next "Image Block Request" with the frame "19 00 05 00 {identity of new} 00 00 00 00 41 ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff"
      When the hub offers image "new" to the device
      And "1 second" pass
      Then every Image Block Request names image "new" and continues from the data received
      And the device runs image "original"

  Rule: SECMP7-OTA-003 MinimumBlockPeriod is honoured
    The hub sets the least time between two Image Block Requests (attribute 0x0009, in ms).

    @SECMP7-OTA-003 @side-device
    Scenario Outline: The device spaces its block requests by a minimum block period of <period>
      Given the hub sets the minimum block period to "<period>"
      When the hub offers image "new" to the device
      And the download runs to its end
      Then no two Image Block Requests are less than "<period>" apart
      And the device sends an Upgrade End Request with status "SUCCESS"

      Examples:
        | period     |
        | 250 ms     |
        | 1 second   |
        | 30 seconds |

  Rule: SECMP7-OTA-004 WAIT_FOR_DATA is honoured
    Image Block Response status WAIT_FOR_DATA (0x97) carries current time and request time.

    @SECMP7-OTA-004 @side-device
    Scenario Outline: The device waits <wait> when the hub answers WAIT_FOR_DATA <count> times
      Given the hub answers the next <count> Image Block Requests with WAIT_FOR_DATA for "<wait>"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then no Image Block Request is sent before the request time of the WAIT_FOR_DATA response
      And the device runs image "new"

      Examples:
        | count | wait       |
        | 1     | 5 seconds  |
        | 3     | 10 minutes |

  Rule: SECMP7-OTA-005 An interrupted download resumes from FileOffset
    Client attribute FileOffset (0x0001) records how far the download has come.

    @SECMP7-OTA-005 @side-device @pics-resume
    Scenario Outline: The device resumes after losing the hub for <outage> after <done>
      When the hub offers image "new" to the device
      And the link to the hub is lost for "<outage>" after "<done>" of the image have been downloaded
      And the download runs to its end
      And "1 minute" pass
      Then the device resumes at the file offset it had reached
      And the device runs image "new"

      Examples:
        | done        | outage   |
        | 1 kB        | 1 minute |
        | 10000 bytes | 2 hours  |

  Rule: SECMP7-OTA-006 Upgrade End Request reports the outcome with the right status
    Upgrade End Request (0x06): SUCCESS, INVALID_IMAGE, REQUIRE_MORE_IMAGE or ABORT.

    @SECMP7-OTA-006 @side-device
    Scenario: The device reports INVALID_IMAGE for an image that fails verification
      Given image "new" is altered so that "a byte of the Manufacturer Image is changed after signing"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device sends an Upgrade End Request with status "INVALID_IMAGE"
      And the device runs image "original"

  Rule: SECMP7-OTA-007 ABORT and NO_IMAGE_AVAILABLE stop the upgrade cleanly
    Status codes ABORT (0x95) and NO_IMAGE_AVAILABLE (0x98).

    @SECMP7-OTA-007 @side-device
    Scenario Outline: The device stops cleanly when the hub answers the <command> with <status>
      Given the hub answers the next "<command>" with status "<status>"
      When the hub offers image "new" to the device
      And "10 seconds" pass
      Then the device runs image "original"
      And the device reports ImageUpgradeStatus "normal"

      Examples:
        | command                  | status             |
        | Query Next Image Request | NO_IMAGE_AVAILABLE |
        | Image Block Request      | ABORT              |

  Rule: SECMP7-OTA-008 A malformed OTA command is answered, not obeyed
    Default Response (0x0B) with MALFORMED_COMMAND (0x80). The hub fills in the transaction
    sequence number of the request it answers.

    @SECMP7-OTA-008 @side-device
    Scenario Outline: The device answers a truncated <command> response with MALFORMED_COMMAND
      Given the hub answers the next "<command>" with the frame "<frame>"
      When the hub offers image "new" to the device
      And "10 seconds" pass
      Then the device answers with a Default Response with status "MALFORMED_COMMAND"
      And the device runs image "original"
      And the device reports ImageUpgradeStatus "normal"

      Examples:
        | command                  | frame             |
        | Query Next Image Request | 19 00 02 00 34 12 |
        | Image Block Request      | 19 00 05 00       |

  Rule: SECMP7-OTA-009 Octets after the fields a command declares are ignored, not malformed
    The ZCL's forward compatibility: a later revision may add fields at the end of a command,
    and a receiver reads the fields it knows and ignores what follows. Real servers do this:
    zigpy answers NO_IMAGE_AVAILABLE with every optional field of the Query Next Image Response.

    @SECMP7-OTA-009 @side-device
    Scenario: The device downloads and installs an image from a hub that appends octets to every frame
      Given the hub appends 3 octets to every frame it sends
      And the hub will set the upgrade time to "now"
      When the hub offers image "new" to the device
      And the download runs to its end
      Then the device sends an Upgrade End Request with status "SUCCESS"
      And the device runs image "new"

    @SECMP7-OTA-009 @side-device
    Scenario: The device takes a NO_IMAGE_AVAILABLE answer that carries the optional fields
      The answer is status NO_IMAGE_AVAILABLE (0x98) followed by the twelve octets of the fields
      a SUCCESS answer would carry (image "new" and its size), as zigpy's OTA server sends it.
      Given the hub answers the next "Query Next Image Request" with the frame "19 00 02 98 {identity of new} 00 50 00 00"
      When the hub offers image "new" to the device
      And "10 seconds" pass
      Then the device runs image "original"
      And the device reports ImageUpgradeStatus "normal"
      And the device sends no Default Response with status "MALFORMED_COMMAND"
