<?php
// Demo web application for bob's end-to-end flow: a network "ping" page with the textbook command
// injection bug. DELIBERATELY VULNERABLE: the ip parameter goes to the shell unchecked, so
// `?ip=127.0.0.1;cat /etc/passwd` runs cat as well. Serve it on loopback only (the demo does).
header('Content-Type: text/plain; charset=utf-8');
$ip = $_GET['ip'] ?? '';
if ($ip === '') {
    http_response_code(400);
    echo "usage: ping.php?ip=ADDRESS\n";
    return;
}
echo shell_exec("ping -c 1 -W 1 " . $ip);
