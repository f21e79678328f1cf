Feature: Every field of every frame the device sends, and its answers to frames it does not take
  A ZigBee test house looks at every field of what the device sends, not only at the one a
  requirement is about: the image an Upgrade End Request names, the optional fields of an Image
  Block Request, the profile, the data type of each attribute in a Read Attributes Response, the
  transaction sequence number and command id of each Default Response (ZigBee document 095264;
  ZCL 07-5123; domain.md section 3). The suite holds every frame the device sends to these rules
  in every scenario (docs/harness.md, "Every frame the device sends"); the scenarios here are
  the ones where each rule is the point. It also sends the device frames it must refuse: frames
  cut short, manufacturer-specific commands and OTA command ids the cluster does not define.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "20 kB" with a newer file version

  Rule: SECMP7-ZCL-001 Upgrade End Request names the image just downloaded
    Upgrade End Request (0x06): manufacturer code, image type and file version of the image the
    device downloaded, whatever the status it reports.

    @SECMP7-ZCL-001 @side-device
    Scenario: The device names the image it downloaded in its Upgrade End Request SUCCESS
      When the hub offers image "new" to the device
      And the download runs to its end
      Then the device sends an Upgrade End Request with status "SUCCESS"
      And every frame the device sent carries the fields the OTA cluster defines for it

    @SECMP7-ZCL-001 @side-device
    Scenario: The device names the image it refused in its Upgrade End Request INVALID_IMAGE
      Given image "new" is altered so that "a byte of the Manufacturer Image is changed after signing"
      When the hub offers image "new" to the device
      And the download runs to its end
      Then the device sends an Upgrade End Request with status "INVALID_IMAGE"
      And every frame the device sent carries the fields the OTA cluster defines for it

  Rule: SECMP7-ZCL-002 The optional fields of an Image Block Request agree with its field control
    Image Block Request (0x03): the request node address, when present, is the device's own
    IEEE address; the minimum block period, when present, is the one the hub last set.

    @SECMP7-ZCL-002 @side-device
    Scenario: The device's block requests carry its own address and the block period the hub set
      Given the hub sets the minimum block period to "1 second"
      When the hub offers image "new" to the device
      And the download runs to its end
      Then every Image Block Request names image "new" and continues from the data received
      And every frame the device sent carries the fields the OTA cluster defines for it

  Rule: SECMP7-ZCL-003 The device's OTA frames are well formed, on the Smart Energy profile, its queries naming it
    Every frame the device sends decodes as the command it claims to be, with the direction bit
    of a client, on the profile (Smart Energy 0x0109) of the frames the hub sends it and to the
    endpoint they come from; every query
    gives the manufacturer code and image type the device declares (hardware version if present).

    @SECMP7-ZCL-003 @side-device
    Scenario: The device's frames of a whole upgrade travel on the Smart Energy profile
      When the hub reads every OTA attribute of the device
      And the hub offers image "new" to the device
      And the download runs to its end
      Then the device sends an Upgrade End Request with status "SUCCESS"
      And every frame the device sent carries the fields the OTA cluster defines for it

  Rule: SECMP7-ZCL-004 Read Attributes Response gives each attribute the data type the cluster defines
    OTA client attributes: UpgradeServerID EUI-64, FileOffset uint32, CurrentFileVersion uint32,
    CurrentZigBeeStackVersion uint16, DownloadedFileVersion uint32, DownloadedZigBeeStackVersion
    uint16, ImageUpgradeStatus enum8, ManufacturerID uint16, ImageTypeID uint16,
    MinimumBlockPeriod uint16. An attribute the device lacks is answered UNSUPPORTED_ATTRIBUTE.

    @SECMP7-ZCL-004 @side-device
    Scenario: The device reports every OTA attribute with its data type, idle and after a download
      When the hub reads every OTA attribute of the device
      And the hub offers image "new" to the device
      And the download runs to its end
      And the hub reads every OTA attribute of the device
      Then every frame the device sent carries the fields the OTA cluster defines for it

  Rule: SECMP7-ZCL-005 A Default Response names the frame it answers
    Default Response (0x0B): the transaction sequence number and the command id of the frame it
    answers, sent to the node that sent it. A device may refuse a Hand Held Terminal's frames
    with Default Responses (NOT_AUTHORIZED) or drop them silently; each Default Response it does
    send must name the frame. Frames the ZCL says must be answered are in ZCL-006 to -008.

    @SECMP7-ZCL-005 @side-device
    Scenario: Any Default Response the device sends a Hand Held Terminal names the frame it answers
      When a Hand Held Terminal offers image "new" to the device
      And "10 seconds" pass
      Then every frame the device sent carries the fields the OTA cluster defines for it
      And the device does not download image "new"

  Rule: SECMP7-ZCL-006 A command cut short of its last field is answered MALFORMED_COMMAND
    A frame too short for the fields its command declares is not obeyed: Default Response
    MALFORMED_COMMAND (0x80) with its transaction sequence number and command id. Each frame
    here names image "new" as offered to this device and lacks only its last field (image size;
    data size and data; upgrade time), so no three octets appended on the way complete it.

    @SECMP7-ZCL-006 @side-device
    Scenario Outline: The device answers a <command> response without its last field with MALFORMED_COMMAND
      Given the hub answers the next "<command>" with the frame "<frame>"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device answers with a Default Response with status "MALFORMED_COMMAND"
      And the device runs image "original"

      Examples:
        | command                  | frame                                                   |
        | Query Next Image Request | 19 00 02 00 {identity of new}               |
        | Image Block Request      | 19 00 05 00 {identity of new} 00 00 00 00   |
        | Upgrade End Request      | 19 00 07 {identity of new} 00 00 00 00      |

  Rule: SECMP7-ZCL-007 A manufacturer-specific command is not taken for the standard command with its id
    Frame control bit 2 with a manufacturer code: the command is that manufacturer's own. Here
    the hub answers the device's query with one: a cluster-specific command with the id and
    payload of a Query Next Image Response offering image "new", or a general command with the id
    and payload of Read Attributes (CurrentFileVersion). A device that does not implement them
    answers UNSUP_MANUF_CLUSTER_COMMAND (0x83) or UNSUP_MANUF_GENERAL_COMMAND (0x84), or
    UNSUP_COMMAND (0x81) as ZCL revision 8 names both (the check takes either), with the frame's
    transaction sequence number and command id, and does not obey them. The manufacturer code
    is another than the device's own (0x7e57, or 0x7e58 for a device that declares 0x7e57).

    @SECMP7-ZCL-007 @side-device
    Scenario Outline: The device refuses a manufacturer-specific <kind> command that carries a standard command's id
      Given the hub answers the next "Query Next Image Request" with the frame "<frame>"
      When the hub offers image "new" to the device
      And "1 minute" pass
      Then the device answers with a Default Response with status "<status>"
      And the device does not download image "new"
      And the device runs image "original"

      Examples:
        | kind             | frame                                                            | status                      |
        | cluster-specific | 1d {another manufacturer} 00 02 00 {identity of new} 00 50 00 00 | UNSUP_MANUF_CLUSTER_COMMAND |
        | general          | 0c {another manufacturer} 00 00 02 00                            | UNSUP_MANUF_GENERAL_COMMAND |

  Rule: SECMP7-ZCL-008 An OTA command id the cluster does not define is answered UNSUP_CLUSTER_COMMAND
    The OTA client takes server-to-client commands 0x00, 0x02, 0x05, 0x07 and 0x09; any other id
    is a command it does not support, not a malformed one.

    @SECMP7-ZCL-008 @side-device
    Scenario Outline: The device answers the undefined OTA command <id> with UNSUP_CLUSTER_COMMAND
      Given the hub answers the next "Query Next Image Request" with the frame "<frame>"
      When the hub offers image "new" to the device
      And "1 minute" pass
      Then the device answers with a Default Response with status "UNSUP_CLUSTER_COMMAND"
      And the device runs image "original"

      Examples:
        | id   | frame                               |
        | 0x0a | 19 00 0a 00 {identity of new}       |
        | 0xff | 19 00 ff                            |
