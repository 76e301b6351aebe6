// Served by your own server: if this runs, the Content-Type for .js is right.
document.getElementById('clock').textContent = 'JavaScript ran at ' + new Date().toLocaleTimeString() + ' · 脚本已运行';
