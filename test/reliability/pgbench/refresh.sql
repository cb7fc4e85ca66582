-- An admin asks for a refresh (a call while another runs leaves with a notice).
SET ROLE rel_admin;
CALL dti.refresh();
RESET ROLE;
