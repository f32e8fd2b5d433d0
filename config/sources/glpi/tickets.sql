-- support_tickets from GLPI 10.0 (MariaDB / MySQL; GLPI has no PostgreSQL
-- backend).  One row per glpi_tickets row.
-- * status maps the CommonITILObject constants: 1 new (INCOMING) -> new,
--   2 processing/assigned and 3 processing/planned -> open, 4 pending
--   (WAITING) -> pending, 5 solved -> solved, 6 closed -> closed (GLPI's
--   closed is final; its "solved" is the state a requester can reopen).
--   A ticket in the trash (is_deleted = 1) is deleted.  GLPI has no
--   on-hold / third-party status, no spam status.
-- * channel is the ticket's request source (glpi_requesttypes): names
--   containing mail/chat/sms/phone/helpdesk/portal/web first (renamed or
--   custom sources keep their meaning), then the installer's ids
--   1 Helpdesk -> web, 2 E-Mail -> email, 3 Phone -> phone, 4 Direct ->
--   in_person, 5 Written -> letter, anything else -> other.
-- * priority is GLPI's computed priority (1 very low .. 6 major):
--   1-2 low, 3 normal (medium), 4 high, 5-6 urgent (very high, major).
-- * category is the ITIL category's complete name ("Parent > Child").
-- * requester_id is the ticket's first requester (glpi_tickets_users type 1,
--   CommonITILActor::REQUESTER): its user id, or its e-mail address for an
--   anonymous (users_id = 0) requester; else the user who wrote the ticket.
-- * created_by is agent when the ticket was written (users_id_recipient) by
--   someone who is not one of its requesters: a call logged or an outbound
--   ticket opened by a technician.  (Approximate: a self-service user opening
--   a ticket on behalf of a colleague also reads as agent; tickets from the
--   mail collector or recurrent tickets have users_id_recipient = 0 and read
--   as customer.)
-- * Timestamps: GLPI 10 stores every date in a MySQL `timestamp` column, i.e.
--   internally in UTC, converted through the session time_zone.  UNIX_TIMESTAMP()
--   on a timestamp column returns that internal UTC value untouched, so
--   DATE_ADD(TIMESTAMP '1970-01-01 00:00:00', INTERVAL UNIX_TIMESTAMP(x) SECOND)
--   is the UTC DATETIME whatever the reader's session time_zone.  (Databases
--   upgraded from 9.5 whose columns are still `datetime` -- until
--   `php bin/console migration:timestamps` is run -- hold GLPI's local time:
--   read them with the session time_zone set to GLPI's time zone.)
SELECT t.id AS id,
       DATE_ADD(TIMESTAMP '1970-01-01 00:00:00',
                INTERVAL UNIX_TIMESTAMP(COALESCE(t.date, t.date_creation)) SECOND) AS created_at,
       CASE
         WHEN LOWER(rt.name) LIKE '%mail%' THEN 'email'
         WHEN LOWER(rt.name) LIKE '%chat%' THEN 'chat'
         WHEN LOWER(rt.name) LIKE '%sms%' THEN 'sms'
         WHEN LOWER(rt.name) LIKE '%phone%' THEN 'phone'
         WHEN LOWER(rt.name) LIKE '%helpdesk%' OR LOWER(rt.name) LIKE '%portal%'
              OR LOWER(rt.name) LIKE '%web%' THEN 'web'
         WHEN rt.id = 1 THEN 'web'
         WHEN rt.id = 2 THEN 'email'
         WHEN rt.id = 3 THEN 'phone'
         WHEN rt.id = 4 THEN 'in_person'
         WHEN rt.id = 5 THEN 'letter'
         ELSE 'other'
       END AS channel,
       CASE t.priority
         WHEN 1 THEN 'low'
         WHEN 2 THEN 'low'
         WHEN 3 THEN 'normal'
         WHEN 4 THEN 'high'
         WHEN 5 THEN 'urgent'
         WHEN 6 THEN 'urgent'
         ELSE 'normal'
       END AS priority,
       NULLIF(COALESCE(c.completename, c.name), '') AS category,
       COALESCE(
         (SELECT CASE WHEN r.users_id > 0 THEN CAST(r.users_id AS CHAR) ELSE NULLIF(r.alternative_email, '') END
            FROM glpi_tickets_users r
           WHERE r.tickets_id = t.id AND r.type = 1
           ORDER BY r.id
           LIMIT 1),
         CAST(NULLIF(t.users_id_recipient, 0) AS CHAR)) AS requester_id,
       CASE
         WHEN t.users_id_recipient > 0
              AND NOT EXISTS (SELECT 1
                                FROM glpi_tickets_users r
                               WHERE r.tickets_id = t.id AND r.type = 1
                                 AND r.users_id = t.users_id_recipient)
         THEN 'agent'
         ELSE 'customer'
       END AS created_by,
       CASE
         WHEN t.is_deleted = 1 THEN 'deleted'
         WHEN t.status = 1 THEN 'new'
         WHEN t.status IN (2, 3) THEN 'open'
         WHEN t.status = 4 THEN 'pending'
         WHEN t.status = 5 THEN 'solved'
         WHEN t.status = 6 THEN 'closed'
         ELSE 'open'
       END AS status,
       DATE_ADD(TIMESTAMP '1970-01-01 00:00:00',
                INTERVAL UNIX_TIMESTAMP(COALESCE(t.date_mod, t.date, t.date_creation)) SECOND) AS updated_at
  FROM glpi_tickets t
  LEFT JOIN glpi_requesttypes rt ON rt.id = t.requesttypes_id
  LEFT JOIN glpi_itilcategories c ON c.id = t.itilcategories_id
