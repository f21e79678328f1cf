Feature: Alerts to Suppliers and their service level
  The DCC tells Suppliers how a firmware update went (minutes WG1_02, section 1.2, Table 4, rows
  '8.1 Summary of changes, point 4', 'service levels' and 'need for the alerts'):

    "a) When the DCC has successfully processed a Service Request for an image’s distribution;
     b) When the image on the Communications Hub is overwritten, or not retrieved from the
        Communications Hub and discarded [...]
     c) A short time after the firmware upgrade was due to have activated on the PPMID or the
        IHD to confirm firmware Version on the Device."
    "The WG agreed to remove requirement ‘b’ [...] It was agreed that ‘a’ and ‘c’ will remain as
    requirements."
    "The DCC suggested delaying the time constraints of the alerts in order to stagger them and
    reduce the load. The WG agreed that they did not want to clutter the channels and the alerts
    should be individual. They also proposed a Service Level Agreement as part of the Impact
    Assessment."

  Under the as-implemented rules alert (a) is the DCC's answer to SR 11.4 with the N60 / N61
  alert per device, alert (c) is the CS08 alert 0x8F8B, and requirement (b) came back as the
  hub's CCS08 response code 1 'Image Discarded' (docs/requirements.md, "Alerts (a), (b) and (c)
  under each rule set"). "The alert service level", "the version confirmation delay" and "the
  alert stagger interval" are figures the DCC declares in its PIXIT: the minutes set none, so a
  scenario that needs one the DCC did not declare is not applicable.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "200 kB" with a newer file version

  Rule: SECMP7-ALERT-001 Alert (a) when the Service Request has been processed
    "a) When the DCC has successfully processed a Service Request for an image’s distribution;"
    The SEC as implemented defines no such asynchronous alert: there alert (a) is the DCC's
    answer to SR 11.4 and N60 per device (sec_as_implemented.feature, SECMP7-SEC-001), so these
    scenarios hold under the working group's rules.

    @SECMP7-ALERT-001 @SECMP7-ALERT-007 @side-dcc @rules-wg-2016
    Scenario Outline: <requester> receives alert (a) once its request is processed
      When "<requester>" requests a firmware update of the device with image "new"
      Then the DCC accepts the Service Request from "<requester>"
      And "<requester>" receives alert "(a)" about image "new" within "the alert service level"

      Examples:
        | requester  |
        | Supplier A |
        | Supplier B |

    @SECMP7-ALERT-001 @side-dcc @rules-wg-2016
    Scenario: A rejected request raises no alert (a)
      Given a signed image "empty" of "header only" with a newer file version
      When "Supplier A" requests a firmware update of the device with image "empty"
      And "the alert service level" pass
      Then the DCC rejects the Service Request from "Supplier A"
      And "Supplier A" receives no alert "(a)" about image "empty"

  Rule: SECMP7-ALERT-002 Alert (c) confirms the firmware version a short time after activation
    "c) A short time after the firmware upgrade was due to have activated on the PPMID or the
    IHD to confirm firmware Version on the Device."

    @SECMP7-ALERT-002 @SECMP7-ALERT-007 @side-dcc
    Scenario: Alert (c) confirms the new version after a successful upgrade
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then "Supplier A" receives alert "(c)" about image "new" within "the alert service level"
      And alert "(c)" to "Supplier A" reports the file version of image "new"

    @SECMP7-ALERT-002 @side-dcc
    Scenario: Alert (c) reports the unchanged version when activation failed
      Given the device fails to activate the next image
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then "Supplier A" receives alert "(c)" about image "new"
      And alert "(c)" to "Supplier A" reports the file version of image "original"

    @SECMP7-ALERT-002 @SECMP7-ACT-004 @side-device
    Scenario: Alert (c) carries the version read from the device under test
      When "Supplier A" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then "Supplier A" receives alert "(c)" about image "new"
      And alert "(c)" to "Supplier A" reports the file version of image "new"
      And the device runs image "new"

  Rule: SECMP7-ALERT-003 Alert (b) is not required
    "The WG agreed to remove requirement ‘b’ as this would reduce the possibility of precedence
    and demonstrate that overriding is not allowed."
    The minutes remove the duty to send (b), not the practice: a DCC that still tells a
    Supplier its image was discarded breaks no rule of theirs, so this rule has no scenario
    (informative). What removing (b) was for, no override, is SECMP7-SUP-003.

  Rule: SECMP7-ALERT-004 As implemented, a discarded image is reported as CCS08 'Image Discarded'
    The final design restored requirement (b): CCS08 Firmware Transfer Alert (0x0128), alert
    0x8F89, response code 1 'Image Discarded' (domain.md section 2b).

    @SECMP7-ALERT-004 @side-dcc @rules-as-implemented
    Scenario Outline: An image dropped from the hub because <reason> is reported as Image Discarded
      When "Supplier A" requests a firmware update of the device with image "new"
      And the hub discards image "new" because "<reason>"
      And "the alert service level" pass
      Then "Supplier A" receives alert "Image Discarded" about image "new"

      Examples:
        | reason                                   |
        | the device did not retrieve it in time   |
        | an electricity meter image took priority |

  Rule: SECMP7-ALERT-005 Alerts are individual to each party
    "The WG agreed that they did not want to clutter the channels and the alerts should be
    individual."

    @SECMP7-ALERT-005 @side-dcc
    Scenario Outline: Each Supplier of the device receives its own alert (c) when <requester> updates it
      When "<requester>" requests a firmware update of the device with image "new"
      And the download runs to its end
      And "the version confirmation delay" pass
      Then "Supplier A" receives alert "(c)" about image "new"
      And "Supplier B" receives alert "(c)" about image "new"
      And each alert is addressed to one Supplier only

      Examples:
        | requester  |
        | Supplier A |
        | Supplier B |

  Rule: SECMP7-ALERT-006 Alerts for many devices are staggered as the DCC declares (suggested)
    "The DCC suggested delaying the time constraints of the alerts in order to stagger them and
    reduce the load."
    A suggestion with no figure (level proposed): the DCC is held to the stagger interval it
    declares. SECMP7-ALERT-007, the service level, was "proposed" with no figure either.

    @SECMP7-ALERT-006 @SECMP7-ALERT-005 @SECMP7-ALERT-007 @side-dcc @load @slow
    Scenario Outline: Alerts (c) for <count> premises reach Supplier A staggered and within the service level
      Given there are <count> premises like this one
      When "Supplier A" requests a firmware update of every device with image "new"
      And the download runs to its end
      And "the alert service level" pass
      Then "Supplier A" receives alert "(c)" about image "new" within "the alert service level"
      And the alerts "(c)" to "Supplier A" are at least "the alert stagger interval" apart
      And each alert is addressed to one Supplier only

      Examples:
        | count |
        | 10    |
        | 100   |
