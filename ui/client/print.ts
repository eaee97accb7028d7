// The kitchen ticket's page: its button prints it (the console's policy allows no inline handlers).
document.getElementById("print-ticket")?.addEventListener("click", () => window.print());
