Feature: The SEC as implemented: GBCS messages between the Communications Hub and the DCC
  SECMP0007 as it went live (domain.md section 2b): the Communications Hub reports each device's
  transfer with the CCS08 Firmware Transfer Alert (GBCS message code 0x0128, alert 0x8F8A
  success / 0x8F89 failure, response code 0 Success, 1 Image Discarded, 2 Hardware Version
  Mismatch, 3 File Transfer Failure), which the DCC passes on per device as N60 (delivered) or
  N61 (not delivered); the DCC reads the version with CS08 (0x0129, responseCode 0 success /
  1 failure); the hub reports the activation with the CS08 alert 0x8F8B (executionDateTime,
  firmwareVersion, activateImage 0 success / 1 failure).

  The GBCS frames are judged as bytes: the steps decode every frame the DCC exchanged with the
  hub with protocol/gbcs.py, and the report shows each one in hex with its decoding. "The device
  is cut off the HAN" is test support: from that point nothing reaches the device or comes from
  it, which is what makes the hub fail, discard or not read back.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "4 kB" with a newer file version

  Rule: SECMP7-SEC-001 A completed transfer is reported as CCS08 Success (0x8F8A) and passed on as N60

    Alert (a) as implemented (SECMP7-ALERT-001): the DCC's answer to SR 11.4, then N60 per device.

    @SECMP7-SEC-001 @SECMP7-ALERT-001 @side-dcc @rules-as-implemented
    Scenario: The hub reports CCS08 Success and each Supplier receives N60 for the device
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      Then the DCC accepts the Service Request from "Supplier A"
      And the hub reports CCS08 alert "0x8F8A" with response code "Success" for the device
      And "Supplier A" receives DCC alert "N60" about image "new" with CCS08 response code "Success"
      And "Supplier B" receives DCC alert "N60" about image "new" with CCS08 response code "Success"

  Rule: SECMP7-SEC-002 Each CCS08 failure carries its own response code (0x8F89) and is passed on as N61

    @SECMP7-SEC-002 @side-dcc @rules-as-implemented
    Scenario: Another image taking the hub's slot is reported as Image Discarded
      When "Supplier A" requests a firmware update of the device with image "new"
      And the hub discards image "new" because "an electricity meter image took priority"
      And "the alert service level" pass
      Then the hub reports CCS08 alert "0x8F89" with response code "Image Discarded" for the device
      And "Supplier A" receives DCC alert "N61" about image "new" with CCS08 response code "Image Discarded"

    @SECMP7-SEC-002 @side-dcc @rules-as-implemented
    Scenario: An image the device never retrieves is reported as Image Discarded
      Given the device is cut off the HAN "before it retrieves the image"
      When "Supplier A" requests a firmware update of the device with image "new"
      And "the alert service level" pass
      Then the hub reports CCS08 alert "0x8F89" with response code "Image Discarded" for the device
      And "Supplier B" receives DCC alert "N61" about image "new" with CCS08 response code "Image Discarded"

    @SECMP7-SEC-002 @side-dcc @rules-as-implemented
    Scenario: An image outside the device's hardware versions is reported as Hardware Version Mismatch
      Given image "new" is altered so that "the hardware version range is entirely above the device's"
      When "Supplier A" requests a firmware update of the device with image "new"
      And "the alert service level" pass
      Then the hub reports CCS08 alert "0x8F89" with response code "Hardware Version Mismatch" for the device
      And "Supplier A" receives DCC alert "N61" about image "new" with CCS08 response code "Hardware Version Mismatch"
      And the device runs image "original"

    @SECMP7-SEC-002 @side-dcc @rules-as-implemented
    Scenario: A device that stops during the download is reported as File Transfer Failure
      Given the device is cut off the HAN "during the download"
      When "Supplier A" requests a firmware update of the device with image "new"
      And "the alert service level" pass
      Then the hub reports CCS08 alert "0x8F89" with response code "File Transfer Failure" for the device
      And "Supplier A" receives DCC alert "N61" about image "new" with CCS08 response code "File Transfer Failure"

  Rule: SECMP7-SEC-003 CS08 reads the PPMID's firmware version, answering responseCode 0, or 1 on a failed read

    @SECMP7-SEC-003 @side-dcc @rules-as-implemented
    Scenario: CS08 reads the new version after the upgrade
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then the DCC reads the firmware version of the device with CS08 and gets response code "Success"
      And alert "(c)" to "Supplier A" reports CS08 response code "Success"
      And alert "(c)" to "Supplier A" reports the file version of image "new"

    @SECMP7-SEC-003 @side-dcc @rules-as-implemented
    Scenario: CS08 answers responseCode 1 when the device no longer answers
      Given the device is cut off the HAN "once it has the whole image"
      When "Supplier A" requests a firmware update of the device with image "new"
      And "the alert service level" pass
      Then the DCC reads the firmware version of the device with CS08 and gets response code "Failure"
      And alert "(c)" to "Supplier A" reports CS08 response code "Failure"

  Rule: SECMP7-SEC-004 Alert 0x8F8B reports the activation with its executionDateTime and activateImage

    @SECMP7-SEC-004 @side-dcc @rules-as-implemented
    Scenario: Alert 0x8F8B reports a successful activation
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then the hub reports alert 0x8F8B for the device with activateImage "Success"
      And alert "(c)" to "Supplier A" reports activateImage "Success"

    @SECMP7-SEC-004 @side-dcc @rules-as-implemented
    Scenario: Alert 0x8F8B reports an activation that failed
      Given the device fails to activate the next image
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then the hub reports alert 0x8F8B for the device with activateImage "Failure"
      And alert "(c)" to "Supplier B" reports activateImage "Failure"
      And alert "(c)" to "Supplier B" reports the file version of image "original"

  Rule: SECMP7-SEC-005 SR 11.4 answers each device it refuses in the warning list of its reason
    The DUIS 5.4 schema's DSPUpdatePPMIDFirmwareWarning lists the device IDs SR 11.4 was not
    accepted for: InvalidDeviceIDList, NotCommissionedDeviceIDList,
    NotApplicableFirmwareDeviceIDList, OtherRequestInProgressList, InvalidGBCSVersionList.

    @SECMP7-SEC-005 @side-dcc @rules-as-implemented
    Scenario Outline: SR 11.4 naming the device and <other> lists that one in <list>
      Given the other device is "<other>"
      When "Supplier A" requests a firmware update of the device and the other device with image "new"
      Then the DCC accepts the Service Request from "Supplier A" for the device only, listing the other device in "<list>"

      Examples:
        | other                                                  | list                              |
        | a device unknown to the DCC                            | InvalidDeviceIDList               |
        | an IHD                                                 | InvalidDeviceIDList               |
        | a PPMID not commissioned                               | NotCommissionedDeviceIDList       |
        | a PPMID of another manufacturer                        | NotApplicableFirmwareDeviceIDList |
        | a PPMID with another request in progress               | OtherRequestInProgressList        |
        | a PPMID whose GBCS version does not support the request | InvalidGBCSVersionList           |

    @SECMP7-SEC-005 @side-dcc @rules-as-implemented
    Scenario: A device listed twice in the DeviceIDList is updated once
      When "Supplier A" requests a firmware update of the device listed twice with image "new"
      And the download runs to its end
      And "the alert service level" pass
      Then the DCC accepts the Service Request from "Supplier A"
      And "Supplier A" receives DCC alert "N60" about image "new" with CCS08 response code "Success"

    @SECMP7-SEC-005 @side-dcc @rules-as-implemented
    Scenario Outline: SR 11.4 sent with <irregularity> is refused as a whole
      When "Supplier A" sends the Service Request for image "new" with "<irregularity>"
      Then the DCC rejects the Service Request from "Supplier A" because "<reason>"

      Examples:
        | irregularity                                     | reason                                            |
        | a FirmwareVersion other than the image header's  | its FirmwareVersion differs from the image header |
        | the role Export Supplier                         | its role may not send it                          |
        | the role Electricity Distributor                 | its role may not send it                          |
        | the role Other User                              | its role may not send it                          |
