-- osTicket's staff as support_agents (DESIGN.md §2), osTicket v1.14–1.18
-- (`ost_staff` of setup/inc/streams/core/install-mysql.sql).
--
-- agent_id: staff_id, as the events name agents. team: the member's primary
-- department (dept_id), as the events name teams. started_on: the account's
-- creation. left_on: osTicket keeps no deactivation date; a deactivated
-- account (isactive = 0) is taken to have left on its last change
-- (`updated`), an approximation: editing a deactivated account moves it.
SELECT
  CAST(s.staff_id AS CHAR) AS agent_id,
  d.name AS team,
  CAST(s.created AS DATE) AS started_on,
  CASE WHEN s.isactive = 0 THEN CAST(s.updated AS DATE) END AS left_on
FROM ost_staff s
LEFT JOIN ost_department d ON d.id = s.dept_id
