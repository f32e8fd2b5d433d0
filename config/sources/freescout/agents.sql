-- FreeScout's users as support_agents (DESIGN.md §2), one text for
-- MySQL/MariaDB and PostgreSQL (`users`, `mailbox_user` of
-- database/migrations; constants of app/User.php).
--
-- Every row of `users` is staff (customers are their own table) but robots
-- (type 2, User::TYPE_ROBOT: users that modules create for workflows).
-- agent_id: users.id, as the events name agents. team: a mailbox, named as
-- the events name mailboxes (its name, else 'mailbox <id>'): the lowest-id
-- mailbox the user belongs to (mailbox_user); else the mailbox of the
-- conversation of their last published reply or note (an admin sees every
-- mailbox without belonging to one); else, for an admin, the lowest-id
-- mailbox. User::deleteUser() removes a deleted user's mailbox_user rows, so
-- a deleted user who never wrote is `unassigned` rather than lost (a leaver
-- is still one); anyone else without a mailbox is rejected as null_team.
-- started_on: the account's creation. left_on: disabled (status 2) or
-- deleted (3) as of the account's last change (updated_at: deleteUser()
-- saves the row, so that is the deletion day; FreeScout keeps no disabling
-- date, and a later edit moves it). Dates in APP_TIMEZONE, as the tickets'.
SELECT a.id AS agent_id,
       CASE WHEN a.home_mailbox IS NOT NULL
            THEN COALESCE(m.name, CONCAT('mailbox ', a.home_mailbox))
            WHEN a.status = 3 THEN 'unassigned' END AS team,
       a.started_on,
       a.left_on
  FROM (SELECT u.id,
               u.status,
               COALESCE((SELECT MIN(mu.mailbox_id)
                           FROM mailbox_user mu
                           JOIN mailboxes mb ON mb.id = mu.mailbox_id
                          WHERE mu.user_id = u.id),
                        (SELECT c.mailbox_id
                           FROM threads t
                           JOIN conversations c ON c.id = t.conversation_id
                          WHERE t.created_by_user_id = u.id
                            AND t.type IN (2, 3)
                            AND t.state = 2
                          ORDER BY t.created_at DESC, t.id DESC
                          LIMIT 1),
                        CASE WHEN u.role = 2 THEN (SELECT MIN(mb.id) FROM mailboxes mb) END) AS home_mailbox,
               CAST(COALESCE(u.created_at, u.updated_at) AS DATE) AS started_on,
               CASE WHEN u.status IN (2, 3) THEN CAST(u.updated_at AS DATE) END AS left_on
          FROM users u
         WHERE u.type <> 2) a
  LEFT JOIN mailboxes m ON m.id = a.home_mailbox
