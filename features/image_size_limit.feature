Feature: Image size limit
  The working group limited the size of a firmware image for IHDs and PPMIDs, in line with the
  existing provisions for meters (minutes WG1_02, section 1.2, Table 4, row 'image size'):

    "SECAS sought to clarify that the WG agreed at the workshop that the firmware image size
    would be limited to 750 kilobytes (kB). It was highlighted that fragmentation would be
    needed if images are greater than 750kB, and this will cause complexities."
    "The WG confirmed that the image size should be aligned with existing provisions."

  "The size limit" below is PIXIT max_image_bytes: 768,000 bytes (750 x 1024) unless the PIXIT
  sets another reading such as 750,000 (SECMP7-IMG-006); it is what the DCC may send. Under the
  as-implemented rules the limit's only source is the minutes, so SECMP7-IMG-001/002 are not
  applicable there. Sizes are whole images as distributed:
  header, payload and signature. "header only" is an image with an empty payload.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"

  Rule: SECMP7-IMG-001 The DCC distributes an image of up to the size limit as one image
    "the firmware image size would be limited to 750 kilobytes (kB)"

    @SECMP7-IMG-001 @side-dcc
    Scenario Outline: The DCC distributes an image of <size> whole
      Given a signed image "new" of "<size>" with a newer file version
      When "Supplier A" requests a firmware update of the device with image "new"
      Then the DCC accepts the Service Request from "Supplier A"
      And image "new" reaches the hub whole

      Examples:
        | size                    |
        | 100 kB                  |
        | the size limit - 1 byte |
        | the size limit          |

  Rule: SECMP7-IMG-002 The DCC never distributes a single image above the size limit
    "fragmentation would be needed if images are greater than 750kB"

    @SECMP7-IMG-002 @side-dcc
    Scenario Outline: The DCC does not distribute an image of <size> whole
      Given a signed image "big" of "<size>" with a newer file version
      When "Supplier A" requests a firmware update of the device with image "big"
      Then image "big" does not reach the hub whole

      Examples:
        | size                    |
        | the size limit + 1 byte |
        | 2 times the size limit  |

  Rule: SECMP7-IMG-003 The device installs a valid image up to the capacity it declares
    "The WG confirmed that the image size should be aligned with existing provisions."
    The minutes limit what the DCC distributes, not what a device stores: "the declared capacity"
    is PIXIT image_capacity_bytes of the device's PICS (not applicable when it declares none).

    @SECMP7-IMG-003 @SECMP7-ACT-004 @side-device @slow
    Scenario Outline: The device installs an image of <size>
      Given a signed image "new" of "<size>" with a newer file version
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device sends an Upgrade End Request with status "SUCCESS"
      And the device runs image "new"

      Examples:
        | size                           |
        | the declared capacity - 1 byte |
        | the declared capacity          |

  Rule: SECMP7-IMG-004 The device does not install a single image above the capacity it declares
    No source states a device-side limit (an interpretation, see the catalogue): a device
    offered more than it can hold refuses it and keeps running its firmware.

    @SECMP7-IMG-004 @side-device
    Scenario Outline: The device refuses an unfragmented image of <size>
      Given a signed image "big" of "<size>" with a newer file version
      When the hub offers image "big" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"

      Examples:
        | size                                 |
        | the declared capacity + 1 byte       |
        | the declared capacity + 768000 bytes |

  Rule: SECMP7-IMG-005 An image with no firmware payload is refused
    The minutes have no words for this case; an Upgrade Image is a header followed by the
    Manufacturer Image (domain.md section 2), so a header alone is no firmware.

    @SECMP7-IMG-005 @side-dcc
    Scenario: The DCC rejects a Service Request whose image has an empty payload
      Given a signed image "empty" of "header only" with a newer file version
      When "Supplier A" requests a firmware update of the device with image "empty"
      Then the DCC rejects the Service Request from "Supplier A"
      And image "empty" does not reach the hub whole

    @SECMP7-IMG-005 @side-device
    Scenario: The device does not install an image with an empty payload
      Given a signed image "empty" of "header only" with a newer file version
      When the hub offers image "empty" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"
