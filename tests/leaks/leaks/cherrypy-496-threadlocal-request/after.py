# Fixed shape of cherrypy/cherrypy#496: the thread-local state is cleared when the request ends
# (r1013 cleared it on Request.close(), as cherrypy/cherrypy#505 describes).
import threading

serving = threading.local()


def respond(app, environ, start_response):
    request = app.make_request(environ)
    response = app.make_response()
    serving.request = request
    serving.response = response
    try:
        body = app.handle(request, response)
        start_response(response.status, response.headers)
        return [body]
    finally:
        serving.__dict__.clear()
