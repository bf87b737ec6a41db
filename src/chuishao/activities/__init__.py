"""Party-building activities (lectures, training classes, 三会一课, research visits, volunteer days): sign-up,
QR check-in, attendance and absence, audience figures with their source, and reports per organisation."""
