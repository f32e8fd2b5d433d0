-- GLPI's technicians as support_agents (DESIGN.md §2), GLPI 10.0 on
-- MySQL/MariaDB (`glpi_users`, `glpi_groups_users`, `glpi_profiles_users`,
-- `glpi_profilerights` of install/mysql/glpi-10.0.22-empty.sql).
--
-- Agents: GLPI's users include the requesters, so a user is an agent with a
-- profile whose `ticket` right can take tickets — ASSIGN 8192, STEAL 16384
-- or OWN 32768 (src/Ticket.php: Technician, Hotliner, the admins), not
-- Self-Service, Observer or Read-Only — or while assigned to a ticket
-- (glpi_tickets_users type 2: a leaver whose profile was removed); never
-- the system user (glpi-system, as events.sql tells it).
-- agent_id: glpi_users.id, as the events name agents. team: a group as the
-- events name groups (completename, else name): the default group
-- (groups_id) when tickets can be assigned to it, else the lowest-id such
-- group the user belongs to, else the default group; none: the row is
-- rejected as null_team (counted and logged).
-- started_on: "Valid since" (begin_date), else the account's creation, else
-- its first history row, else its last change. left_on: "Valid until"
-- (end_date); else, for a deactivated or trashed account, its last change
-- (date_mod), an approximation: GLPI keeps no deactivation date, and a later
-- edit moves it. Dates in the session's time zone.
SELECT CAST(a.id AS CHAR) AS agent_id,
       COALESCE(NULLIF(g.completename, ''), g.name) AS team,
       a.started_on,
       a.left_on
  FROM (SELECT u.id,
               COALESCE((SELECT dg.id FROM glpi_groups dg
                          WHERE dg.id = u.groups_id AND dg.is_assign = 1),
                        (SELECT MIN(gu.groups_id)
                           FROM glpi_groups_users gu
                           JOIN glpi_groups mg ON mg.id = gu.groups_id AND mg.is_assign = 1
                          WHERE gu.users_id = u.id),
                        (SELECT dg.id FROM glpi_groups dg WHERE dg.id = u.groups_id)) AS home_group,
               CAST(COALESCE(u.begin_date, u.date_creation,
                             (SELECT MIN(l.date_mod) FROM glpi_logs l
                               WHERE l.itemtype = 'User' AND l.items_id = u.id),
                             u.date_mod) AS DATE) AS started_on,
               CAST(CASE
                      WHEN u.end_date IS NOT NULL THEN u.end_date
                      WHEN u.is_active = 0 OR u.is_deleted = 1 THEN u.date_mod
                    END AS DATE) AS left_on
          FROM glpi_users u
         WHERE COALESCE(u.name, '') NOT LIKE 'glpi-system%'
           AND (EXISTS (SELECT 1
                          FROM glpi_profiles_users pu
                          JOIN glpi_profilerights pr
                            ON pr.profiles_id = pu.profiles_id AND pr.name = 'ticket'
                         WHERE pu.users_id = u.id
                           AND (pr.rights & (8192 | 16384 | 32768)) <> 0)
                OR EXISTS (SELECT 1 FROM glpi_tickets_users tu
                            WHERE tu.users_id = u.id AND tu.type = 2))) a
  LEFT JOIN glpi_groups g ON g.id = a.home_group
