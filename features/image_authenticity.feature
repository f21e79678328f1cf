Feature: Image authenticity and applicability
  Beneath the working group's decisions, a device must take only genuine images meant for it,
  and only from its own hub. GBCS leaves the means to the manufacturer and requires the
  manufacturer information with every image (domain.md section 2); the ZigBee OTA header names
  the manufacturer, image type, file version and hardware range (section 3). The reference
  profile signs the Upgrade Image with ECDSA P-256 over SHA-256, the public key declared in
  PICS (section 5). The ban on local upgrades (minutes, Table 4, row 'point 10') reads:

    "It was agreed to ban local firmware upgrades via Hand Held Terminals (HHT)"

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "200 kB" with a newer file version

  Rule: SECMP7-AUTH-001 An image altered after signing is not activated
    GBCS activation checks the SHA-256 Manufacturer Image Hash over the image held.

    @SECMP7-AUTH-001 @SECMP7-ACT-004 @side-device
    Scenario Outline: The device does not activate an image when <defect>
      Given image "new" is altered so that "<defect>"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"

      Examples:
        | defect                                                           |
        | a byte of the Manufacturer Image is changed after signing        |
        | the last byte of the Manufacturer Image is changed after signing |

  Rule: SECMP7-AUTH-002 An image without a valid manufacturer signature is refused
    The reference profile: ECDSA P-256 over SHA-256 in the Upgrade Image trailer.

    @SECMP7-AUTH-002 @side-device
    Scenario Outline: The device refuses an image when <defect>
      Given image "new" is altered so that "<defect>"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"

      Examples:
        | defect                                 |
        | the signature is missing               |
        | the signature is made with another key |
        | the signature is truncated             |

  Rule: SECMP7-AUTH-003 Only images for this manufacturer and image type are taken
    The Query Next Image exchange names the manufacturer code and image type. The hub notifies
    with payload type 0 (query jitter only), so the device must refuse on the Query Next Image
    Response and the image itself, not only on an Image Notify that names the identity.

    @SECMP7-AUTH-003 @side-device
    Scenario Outline: The device does not take an image when <defect>
      Given image "new" is altered so that "<defect>"
      And the hub notifies with payload type 0 and query jitter 100
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"

      Examples:
        | defect                                          |
        | the manufacturer code is another manufacturer's |
        | the image type is another image type            |

  Rule: SECMP7-AUTH-004 The image's hardware version range is respected
    As implemented, the hub reports CCS08 response code 2 'Hardware Version Mismatch'.

    @SECMP7-AUTH-004 @side-device
    Scenario Outline: The device does not install an image when <defect>
      Given image "new" is altered so that "<defect>"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"

      Examples:
        | defect                                                    |
        | the hardware version range is entirely above the device's |
        | the hardware version range is entirely below the device's |

  Rule: SECMP7-AUTH-005 No downgrade and no re-install of the running version
    The device compares the offered file version with its CurrentFileVersion. The hub notifies
    with payload type 0, so the comparison is made on the Query Next Image Response and the image,
    not only on an Image Notify that names the version.

    @SECMP7-AUTH-005 @side-device
    Scenario Outline: The device does not install an image with the <relation> file version
      Given a signed image "offered" of "200 kB" with a <relation> file version
      And the hub notifies with payload type 0 and query jitter 100
      When the hub offers image "offered" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device does not download image "offered"
      And the device reports ImageUpgradeStatus "normal"

      Examples:
        | relation |
        | same     |
        | older    |

  Rule: SECMP7-AUTH-006 Firmware comes only from the paired hub's OTA server
    "It was agreed to ban local firmware upgrades via Hand Held Terminals (HHT)"

    @SECMP7-AUTH-006 @side-device
    Scenario Outline: The device refuses an image offered by <source>
      When <source> offers image "new" to the device
      And "1 hour" pass
      Then the device does not download image "new"
      And the device runs image "original"

      Examples:
        | source                  |
        | a Hand Held Terminal    |
        | another node of the HAN |

  Rule: SECMP7-AUTH-007 No bytes outside what the signature covers
    A GBCS Upgrade Image ends with its signature trailer, and the total image size in its signed
    header is the whole file; in a ZigBee OTA file the reference profile's P-256 signature
    sub-element is the last one and covers every byte before it. Whatever else a hub serves was
    never signed: a second upgrade image, a copy of the signature, a tag the device does not know.
    Unless the defect says the total image size counts them, the header stays as signed and the
    hub serves the longer file.

    @SECMP7-AUTH-007 @side-device
    Scenario Outline: The device refuses a GBCS image when <defect>
      Given image "new" is altered so that "<defect>"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"
      And the device sends an Upgrade End Request with status "INVALID_IMAGE"
      And the device reports ImageUpgradeStatus "normal"

      Examples:
        | defect                                                                       |
        | bytes are appended after the signature                                       |
        | bytes are appended after the signature and the total image size counts them |

    @SECMP7-AUTH-007 @side-device @pics-zigbee-ota-images
    Scenario: The device installs a ZigBee OTA image whose signature sub-element is the last
      Given a signed ZigBee OTA image "zigbee" of "200 kB" with a newer file version
      When the hub offers image "zigbee" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "zigbee"

    @SECMP7-AUTH-007 @side-device @pics-zigbee-ota-images
    Scenario Outline: The device refuses a ZigBee OTA image when <defect>
      Given a signed ZigBee OTA image "zigbee" of "200 kB" with a newer file version
      And image "zigbee" is altered so that "<defect>"
      When the hub offers image "zigbee" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"
      And the device sends an Upgrade End Request with status "INVALID_IMAGE"
      And the device reports ImageUpgradeStatus "normal"

      Examples:
        | defect                                                                                          |
        | a second upgrade image element follows the signature element                                    |
        | a second upgrade image element follows the signature element and the total image size counts it |
        | an element with a tag the device does not know follows the signature element                    |
        | a second upgrade image element and a copy of the signature element follow the signature element |
        | the signature element is moved before the upgrade image element                                 |
        | bytes are appended after the signature                                                          |

  Rule: SECMP7-AUTH-008 A device-specific file is taken only by the device it names
    The OTA header's field control bit 1 marks a device-specific file, and its Upgrade File
    Destination names the one device it is for (domain.md section 3). The destination is in the
    signed header: the file below is genuine, only meant for another device (the device's own
    EUI-64 with its last octet plus one).

    @SECMP7-AUTH-008 @side-device
    Scenario: The device refuses a device-specific file for another device
      Given image "new" is a device-specific file for another device
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"
      And the device sends an Upgrade End Request with status "INVALID_IMAGE"
      And the device reports ImageUpgradeStatus "normal"

    @SECMP7-AUTH-008 @side-device @pics-device-specific-files
    Scenario: The device installs a device-specific file for itself
      Given image "new" is a device-specific file for the device
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "new"

    @SECMP7-AUTH-008 @side-device @pics-zigbee-ota-images
    Scenario: The device refuses a ZigBee OTA device-specific file for another device
      Given a signed ZigBee OTA image "zigbee" of "200 kB" with a newer file version
      And image "zigbee" is a device-specific file for another device
      When the hub offers image "zigbee" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"
      And the device sends an Upgrade End Request with status "INVALID_IMAGE"
      And the device reports ImageUpgradeStatus "normal"
