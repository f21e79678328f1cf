Feature: Image Page Request and device-specific files
  ZigBee document 095264 (OTA Upgrade cluster) lets a client ask for the image a page at a time:
  one Image Page Request (0x04) names a file offset, a page size and a response spacing, and the
  server answers with Image Block Responses of that page, that far apart (domain.md section 3).
  It is optional for client and server alike: the hub the suite plays answers it Default
  Response UNSUP_CLUSTER_COMMAND unless the scenario has it serve pages. Image types 0xFFC0 to
  0xFFFE are reserved for device-specific files (security credentials, configuration, logs,
  pictures), never firmware.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "4 kB" with a newer file version

  Rule: SECMP7-XFER-001 A device that asks by pages takes each page and asks on from the data received
    095264, Image Page Request (0x04): file offset, maximum data size, page size, response
    spacing; the answers are Image Block Responses (0x05).

    @SECMP7-XFER-001 @side-device @pics-image-page-requests
    Scenario: The device downloads and installs an image by Image Page Requests
      Given the hub serves Image Page Requests
      And the hub will set the upgrade time to "now"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then every Image Page Request names image "new" and continues from the data received
      And the device asks for no page while the hub is still sending the one before
      And the device runs image "new"

    @SECMP7-XFER-001 @side-device @pics-image-page-requests
    Scenario: The device asks again from the data received when a page comes short
      The hub sends only the first three blocks of each page, as when the others are lost: the
      device must ask for the rest from where its data ends, not skip it.
      Given the hub serves Image Page Requests with only the first 3 blocks of each page
      And the hub will set the upgrade time to "now"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then every Image Page Request names image "new" and continues from the data received
      And the device runs image "new"

  Rule: SECMP7-XFER-002 An image type reserved for device-specific files is never firmware
    095264, image types: 0x0000-0xFFBF are the manufacturer's; 0xFFC0 client security
    credentials, 0xFFC1 client configuration, 0xFFC2 server log, 0xFFC3 picture, up to 0xFFFE
    reserved for such files.

    @SECMP7-XFER-002 @side-device
    Scenario Outline: The device does not run a file of image type <type> as its firmware
      The file is the image "new" in every other respect: the device's manufacturer code, a
      newer file version, signed with the manufacturer's key. The Image Notify names no image
      (payload type 0), so the device decides on the Query Next Image Response and the file.
      Given the hub notifies with payload type 0 and query jitter 100
      And the hub will set the upgrade time to "now"
      And image "new" is altered so that "the image type is <type>, reserved for device-specific files"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device runs image "original"
      And the device reports ImageUpgradeStatus "normal"

      Examples:
        | type   |
        | 0xFFC0 |
        | 0xFFC1 |
        | 0xFFC3 |
        | 0xFFFE |

  Rule: SECMP7-XFER-003 A device that asks for its device-specific file names itself and takes only what it is offered
    095264, Query Device Specific File Request (0x08: request node address, manufacturer code,
    image type, file version, ZigBee stack version) and Response (0x09: status, and on SUCCESS
    the file's manufacturer code, image type, file version and size). The device sends it on its
    own initiative: it declares in its PICS (device_file_query) that it asks as it starts, and
    for which image type; the suite switches it off and on (the bridge's POWER_CYCLE control).

    @SECMP7-XFER-003 @side-device @pics-device-file-query
    Scenario: The device asks for its device-specific file and, told there is none, downloads nothing
      The hub the suite plays holds no device-specific file: it answers NO_IMAGE_AVAILABLE.
      When the device is switched off and on
      And "1 minute" pass
      Then every Query Device Specific File Request names the device, its manufacturer code, the image type it declares and a ZigBee stack version
      And the device asks for no image block or page
      And the device runs image "original"

    @SECMP7-XFER-003 @side-device @pics-device-file-query
    Scenario: The device downloads the device-specific file it is offered and does not run it
      The hub answers the file's Upgrade End Request with an upgrade time of now: a device that
      took the file for firmware would run it at once.
      Given the hub holds a device-specific file "config" of "2 kB" for the device
      When the device is switched off and on
      And "1 minute" pass
      Then every Query Device Specific File Request names the device, its manufacturer code, the image type it declares and a ZigBee stack version
      And the device downloads file "config" by Image Block Requests naming it and ends with Upgrade End Request SUCCESS
      And the device runs image "original"
      And the device reports ImageUpgradeStatus "normal"
