Feature: HCALCS firmware: SR 11.1 distribution, SR 11.3 activation with the Manufacturer Image hash
  SECMP0007 as it went live put HCALCSs in scope beside PPMIDs: an HCALCS reuses SR 11.1
  'Update Firmware' to receive an image and SR 11.3 'Activate Firmware' to activate it
  (domain.md section 2b). SR 11.3 is GBCS CS06 (message code 0x0012): it carries the
  32-octet Manufacturer Image hash (SHA-256), and the device activates only if the hash is the
  one of the Manufacturer Image it holds (domain.md section 2); a future-dated CS06 is
  acknowledged and its outcome alerted (0x8F66 actioned / 0x8F67 not, with responseCode 0
  success, 1 no image held, 2 hash mismatch, 3 activation failure).

  The hash and the signature are two checks: one scenario has a valid signature and a wrong
  hash (the hash refuses it), the other the right hash and an invalid signature (the device
  refused the image at download, so there is none to activate).

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the HCALCS is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "4 kB" with a newer file version

  Rule: SECMP7-HCA-001 An HCALCS activates an image by SR 11.3 only with its Manufacturer Image hash

    @SECMP7-HCA-001 @side-dcc @rules-as-implemented
    Scenario: SR 11.3 with the image's hash activates the image SR 11.1 distributed
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "Supplier A" activates image "new" on the device with "its Manufacturer Image hash"
      Then "Supplier A" receives the activation outcome "Success" about image "new"
      And "Supplier B" receives the activation outcome "Success" about image "new"
      And the device runs image "new"

    @SECMP7-HCA-001 @side-dcc @rules-as-implemented
    Scenario: A validly signed image is not activated by SR 11.3 with a wrong hash
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "Supplier A" activates image "new" on the device with "a wrong hash"
      Then "Supplier A" receives the activation outcome "Hash Mismatch" about image "new"
      And the device runs image "original"

    @SECMP7-HCA-001 @side-dcc @rules-as-implemented
    Scenario: An image with an invalid signature is not activated by SR 11.3 with its hash
      Given image "new" is altered so that "the signature is made with another key"
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "Supplier A" activates image "new" on the device with "its Manufacturer Image hash"
      Then "Supplier A" receives the activation outcome "No Image Held" about image "new"
      And the device runs image "original"
