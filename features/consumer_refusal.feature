@tentative
Feature: Consumer refusal of a firmware upgrade (open question)
  Whether consumers may refuse a firmware upgrade was left to the Consultation (minutes WG1_02,
  section 1.2, Table 4, row 'page 15 of the design note'):

    "It was noted that considerations need to be made as to whether consumers should be given
    the option to refuse a firmware upgrade on IHDs and PPMIDs. The Chair highlighted that this
    can and will be asked in the Consultation and feedback from industry provided in the
    Modification Report."

  These scenarios are tentative: they apply only to a device whose PICS declares
  "consumer-refusal", and their verdict never decides conformance. No public SEC text provides
  for refusal, so they run under the working group's rules only.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "20 kB" with a newer file version

  Rule: SECMP7-REF-001 The consumer may refuse an upgrade
    "whether consumers should be given the option to refuse a firmware upgrade on IHDs and
    PPMIDs."

    @SECMP7-REF-001 @side-device @pics-consumer-refusal @rules-wg-2016
    Scenario: A refused upgrade is not activated and the refusal is reported
      When the hub offers image "new" to the device
      And the consumer refuses the upgrade on the device
      And the download runs to its end
      And "1 hour" pass
      Then the device sends an Upgrade End Request with status "ABORT"
      And the device runs image "original"
