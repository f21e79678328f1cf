Feature: Several Suppliers per device, with no precedence and no override
  An IHD or PPMID may be paired with an electricity meter and a gas meter of different Suppliers
  (minutes WG1_02, section 1.2, Table 4, row '8.1 Summary of changes, point 4'):

    "It was highlighted that IHDs and PPMIDs may communicate with multiple Electricity Smart
    Metering Equipment (ESME) and Gas Smart Metering Equipment (GSME), meaning multiple
    Suppliers."
    "The WG agreed to remove requirement ‘b’ as this would reduce the possibility of precedence
    and demonstrate that overriding is not allowed."

  The premises differ from scenario to scenario here, so there is no Background. "Supplier C"
  supplies no meter at the premises.

  Rule: SECMP7-SUP-001 The Supplier of either meter may update a device they share
    "IHDs and PPMIDs may communicate with multiple [...] ESME and [...] GSME, meaning multiple
    Suppliers."

    @SECMP7-SUP-001 @side-dcc
    Scenario Outline: <requester> updates a PPMID whose meters are supplied by <electricity> and <gas>
      Given a premises whose electricity meter is supplied by "<electricity>" and whose gas meter is supplied by "<gas>"
      And the PPMID is paired with the hub and every meter at the premises
      And the device runs image "original"
      And a signed image "new" of "200 kB" with a newer file version
      When "<requester>" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "1 hour" pass
      Then the DCC accepts the Service Request from "<requester>"
      And the device runs image "new"

      Examples:
        | electricity | gas        | requester  |
        | Supplier A  | Supplier B | Supplier A |
        | Supplier A  | Supplier B | Supplier B |
        | Supplier A  | Supplier A | Supplier A |

    @SECMP7-SUP-001 @side-dcc
    Scenario: The electricity Supplier updates a PPMID at a premises without gas
      Given a premises whose electricity meter is supplied by "Supplier A" and which has no gas meter
      And the PPMID is paired with the hub and every meter at the premises
      And the device runs image "original"
      And a signed image "new" of "200 kB" with a newer file version
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "1 hour" pass
      Then the DCC accepts the Service Request from "Supplier A"
      And the device runs image "new"

    @SECMP7-SUP-001 @side-dcc @rules-wg-2016
    Scenario Outline: <requester> updates an IHD under the working group's rules
      Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
      And the IHD is paired with the hub and every meter at the premises
      And the device runs image "original"
      And a signed image "new" of "200 kB" with a newer file version
      When "<requester>" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "1 hour" pass
      Then the DCC accepts the Service Request from "<requester>"
      And the device runs image "new"

      Examples:
        | requester  |
        | Supplier A |
        | Supplier B |

  Rule: SECMP7-SUP-002 Only a Supplier of a meter paired with the device may update it
    The minutes imply it: the device's Suppliers are those of its meters. SR 11.4 as implemented
    may be sent by the Import Supplier or the Gas Supplier.

    @SECMP7-SUP-002 @SECMP7-ALERT-001 @side-dcc
    Scenario Outline: A Supplier of no meter at the premises cannot update the device (<electricity>, <gas>)
      Given a premises whose electricity meter is supplied by "<electricity>" and whose gas meter is supplied by "<gas>"
      And the PPMID is paired with the hub and every meter at the premises
      And the device runs image "original"
      And a signed image "foreign" of "200 kB" with a newer file version
      When "Supplier C" requests a firmware update of the device with image "foreign"
      And "1 hour" pass
      Then the DCC rejects the Service Request from "Supplier C"
      And image "foreign" does not reach the hub whole
      And "Supplier C" receives no alert "(a)" about image "foreign"
      And the device runs image "original"

      Examples:
        | electricity | gas        |
        | Supplier A  | Supplier B |
        | Supplier A  | Supplier A |

  Rule: SECMP7-SUP-003 No Supplier overrides another's firmware distribution
    "this would reduce the possibility of precedence and demonstrate that overriding is not
    allowed."
    A DCC may refuse the second request for the device (as implemented, SR 11.4 lists it under
    OtherRequestInProgressList) or hold it until the first is confirmed; either way the version
    read back for the first request (alert (c)) is the first image's.

    @SECMP7-SUP-003 @side-dcc
    Scenario Outline: A request from <second> does not override the image <first> sent first
      Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
      And the PPMID is paired with the hub and every meter at the premises
      And the device runs image "original"
      And a signed image "first" of "200 kB" with a newer file version
      And a signed image "second" of "200 kB" with a newer file version
      When "<first>" requests a firmware update of the device with image "first"
      And "<second>" requests a firmware update of the device with image "second"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then the Service Request from "<second>" does not override the distribution of image "first"
      And "<first>" receives alert "(c)" about image "first"
      And alert "(c)" to "<first>" about image "first" reports the file version of image "first"

      Examples:
        | first      | second     |
        | Supplier A | Supplier B |
        | Supplier B | Supplier A |

  Rule: SECMP7-SUP-004 No Supplier takes precedence over the device
    "this would reduce the possibility of precedence"

    @SECMP7-SUP-004 @side-dcc
    Scenario Outline: After <first> has updated the device, <second> may update it in turn
      Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
      And the PPMID is paired with the hub and every meter at the premises
      And the device runs image "original"
      And a signed image "first" of "200 kB" with a newer file version
      And a signed image "second" of "200 kB" with a newer file version
      When "<first>" requests a firmware update of the device with image "first"
      And the download runs to its end
      And "1 hour" pass
      And "<second>" requests a firmware update of the device with image "second"
      And the download runs to its end
      And "1 hour" pass
      Then the DCC accepts the Service Request from "<second>"
      And the device runs image "second"

      Examples:
        | first      | second     |
        | Supplier A | Supplier B |
        | Supplier B | Supplier A |
