Feature: Fragmentation of images above the size limit
  Images larger than the size limit reach IHDs and PPMIDs in fragments (minutes WG1_02,
  section 1.2, Table 4, row 'image size'):

    "It was highlighted that if fragmentation is not included at this stage there may be issues
    in the future, if fragmentation was needed. It was also noted that there is nothing
    preventing fragmentation at the moment, as long as the device is built to support it. The
    WG agreed that there would need to be mechanisms to support fragmentation of images sent to
    PPMIDs and IHDs."

  Each fragment is itself a valid image within the size limit that says where it belongs in
  the whole image (the reference profile, docs/requirements.md). A device supports fragments
  only if its PICS declares "fragmentation"; the DCC side must always offer the mechanism under
  the working group's rules.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"

  Rule: SECMP7-FRAG-001 A mechanism delivers images above the limit in fragments
    "The WG agreed that there would need to be mechanisms to support fragmentation of images
    sent to PPMIDs and IHDs."

    @SECMP7-FRAG-001 @SECMP7-IMG-002 @side-dcc @rules-wg-2016 @pics-fragmentation @slow
    Scenario Outline: An image of <size> reaches the device in at least <count> fragments
      Given a signed image "big" of "<size>" with a newer file version
      When "Supplier A" requests a firmware update of the device with image "big"
      And the download runs to its end
      And "1 hour" pass
      Then the DCC accepts the Service Request from "Supplier A"
      And image "big" reaches the hub in at least <count> fragments of at most "the size limit" each
      And the device runs image "big"

      Examples:
        | size                    | count |
        | the size limit + 1 byte | 2     |
        | 2 times the size limit  | 3     |
        | 4 times the size limit  | 5     |

  Rule: SECMP7-FRAG-002 A device built for it reassembles the fragments and installs the image
    "there is nothing preventing fragmentation at the moment, as long as the device is built to
    support it."

    @SECMP7-FRAG-002 @SECMP7-ACT-004 @side-device @pics-fragmentation
    Scenario Outline: The device installs an image sent as <count> fragments in the order <order>
      Given a signed image "big" of "<size>" with a newer file version
      And image "big" is split into <count> fragments
      When the hub offers the fragments of image "big" in the order "<order>"
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "big"

      Examples:
        | size                    | count | order   |
        | the size limit + 1 byte | 2     | 1,2     |
        | 300 kB                  | 3     | 1,2,3   |
        | 300 kB                  | 3     | 3,1,2   |
        | 300 kB                  | 4     | 2,4,1,3 |

  Rule: SECMP7-FRAG-003 An incomplete set of fragments is never installed
    "fragmentation would be needed if images are greater than 750kB, and this will cause
    complexities."

    @SECMP7-FRAG-003 @side-device @pics-fragmentation
    Scenario Outline: The device does not install an image whose fragments <order> of <count> arrive
      Given a signed image "big" of "300 kB" with a newer file version
      And image "big" is split into <count> fragments
      When the hub offers the fragments of image "big" in the order "<order>"
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"

      Examples:
        | count | order |
        | 3     | 1,3   |
        | 3     | 1,2   |
        | 2     | 2     |

    @SECMP7-FRAG-003 @side-device @pics-fragmentation
    Scenario: The device does not install fragments of which one was altered after signing
      Given a signed image "big" of "300 kB" with a newer file version
      And image "big" is split into 3 fragments
      And image "big" is altered so that "a byte of fragment 2 is changed after signing"
      When the hub offers the fragments of image "big" in the order "1,2,3"
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"

    @SECMP7-FRAG-003 @SECMP7-AUTH-001 @side-device @pics-fragmentation
    Scenario: The device does not install fragments whose whole-image digest was forged to match an altered fragment
      Every descriptor carries the slice SHA-256 and the whole-image digest of the altered image, so
      the set reassembles cleanly: only the whole image's signature shows the change.
      Given a signed image "big" of "300 kB" with a newer file version
      And image "big" is split into 3 fragments
      And image "big" is altered so that "a byte of fragment 2 is changed after signing and the whole-image digest is forged to match"
      When the hub offers the fragments of image "big" in the order "1,2,3"
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"

    @SECMP7-FRAG-003 @side-device @pics-fragmentation
    Scenario Outline: The device does not install fragments when <defect>
      Each fragment is rebuilt from its own descriptor with only the count changed: its slice and
      its per-fragment check are as the fragmenting made them.
      Given a signed image "big" of "300 kB" with a newer file version
      And image "big" is split into 3 fragments
      And image "big" is altered so that "<defect>"
      When the hub offers the fragments of image "big" in the order "<order>"
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"
      And the device sends an Upgrade End Request with status "INVALID_IMAGE"

      Examples:
        | defect                                                    | order |
        | every fragment declares one fragment fewer than there are | 1,2,3 |
        | every fragment declares one fragment fewer than there are | 3,1,2 |
        | fragment 2 declares one fragment more than the others     | 1,2,3 |

    @SECMP7-FRAG-003 @side-device @pics-fragmentation
    Scenario: The device keeps waiting for the fragment a forged count promises
      Every fragment declares four fragments; only the three that make up the image exist.
      Given a signed image "big" of "300 kB" with a newer file version
      And image "big" is split into 3 fragments
      And image "big" is altered so that "every fragment declares one fragment more than there are"
      When the hub offers the fragments of image "big" in the order "1,2,3"
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"
      And the device reports ImageUpgradeStatus "wait for more"
